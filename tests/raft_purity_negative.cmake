# Builds a fake tree whose raft/ includes <thread> and expects the purity check to reject it.
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/raft)
file(WRITE ${WORK}/raft/bad.cc "#include <thread>\nint x;\n")
execute_process(COMMAND ${SRC}/scripts/check-raft-purity.sh ${WORK} RESULT_VARIABLE rc
                OUTPUT_QUIET ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "purity check accepted raft/bad.cc including <thread>")
endif()
string(FIND "${err}" "bad.cc" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "purity check did not name the offending file: ${err}")
endif()
