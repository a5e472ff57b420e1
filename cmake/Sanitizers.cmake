# SPLITBRAIN_SANITIZE=ON builds everything, tests and node processes included, with ASan+UBSan.
# UBSan findings abort, so a test that triggers undefined behaviour fails.
# -O0 -g1 (after the build type's -O2 -g, so they win): line tables enough for the sanitizers'
# stack traces, and the cheapest compile — the README's test command builds everything from a
# clean clone on 2 cores, and code generation at -O1 dominated it (user CPU, one file at a
# time: node/client.cc 64 s at -O1, 32 s at -O0; records/history.cc 13 s, 8 s). The code the
# tests spend their CPU in — the Raft core, the simulator, the linearizability search — asks for
# -O1 with splitbrain_hot() below.
if(SPLITBRAIN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
                      -O0 -g1)
  add_link_options(-fsanitize=address,undefined)
endif()
# splitbrain_hot(TARGET [SOURCES f...]): the target (or only those of its sources) at -O1 under
# SPLITBRAIN_SANITIZE — code the tests spend their CPU in.
function(splitbrain_hot target)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  if(NOT SPLITBRAIN_SANITIZE)
    return()
  endif()
  if(ARG_SOURCES)
    set_source_files_properties(${ARG_SOURCES} TARGET_DIRECTORY ${target}
                                PROPERTIES COMPILE_OPTIONS "-O1")
  else()
    target_compile_options(${target} PRIVATE -O1)
  endif()
endfunction()
