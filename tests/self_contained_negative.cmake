# Builds fake trees that reach outside themselves (the shared folder beside the checkout,
# ${PROJECT_SOURCE_DIR}/..) and
# expects the self-contained check to reject each, naming the file; a clean tree must pass.
foreach(case shared parent clean)
  file(REMOVE_RECURSE ${WORK}/${case})
  file(MAKE_DIRECTORY ${WORK}/${case}/checker)
endforeach()
# The path is put together here so that this file does not itself contain what it plants.
set(up "..")
file(WRITE ${WORK}/shared/checker/CMakeLists.txt "set(DIR \"\${CMAKE_CURRENT_SOURCE_DIR}/${up}/${up}/shared/corpus\")\n")
file(WRITE ${WORK}/parent/checker/CMakeLists.txt "set(DIR \"\${PROJECT_SOURCE_DIR}/../corpus\")\n")
file(WRITE ${WORK}/clean/checker/CMakeLists.txt "set(DIR \"\${PROJECT_SOURCE_DIR}/checker/testdata\")\n")
foreach(case shared parent)
  execute_process(COMMAND ${SRC}/scripts/check-self-contained.sh ${WORK}/${case} RESULT_VARIABLE rc
                  OUTPUT_QUIET ERROR_VARIABLE err)
  if(rc EQUAL 0)
    message(FATAL_ERROR "self-contained check accepted a tree reaching outside itself (${case})")
  endif()
  string(FIND "${err}" "checker/CMakeLists.txt" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "self-contained check did not name the offending file: ${err}")
  endif()
endforeach()
execute_process(COMMAND ${SRC}/scripts/check-self-contained.sh ${WORK}/clean RESULT_VARIABLE rc
                OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "self-contained check rejected a clean tree: ${err}")
endif()
