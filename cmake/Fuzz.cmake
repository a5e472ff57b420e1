# The fuzz targets (fuzz/): a separate CMake project compiled with clang (libFuzzer), built as part
# of this one, and one ctest test per target (label `fuzz`) that runs it for a few seconds over
# its committed seed corpus. No clang is a failing test, not a skip: the README's test command
# installs it (scripts/install-deps.sh --test).
include(ExternalProject)
find_program(SPLITBRAIN_FUZZ_CXX NAMES clang++-14 clang++)
set(SPLITBRAIN_FUZZ_TARGETS command codec wal plan jsonl edn)
set(SPLITBRAIN_FUZZ_SECONDS 5 CACHE STRING "How long each fuzz test runs its target")
set(fuzz_bin ${CMAKE_BINARY_DIR}/fuzz)

if(SPLITBRAIN_FUZZ_CXX)
  set(fuzz_args -DCMAKE_CXX_COMPILER=${SPLITBRAIN_FUZZ_CXX}
                -DSPLITBRAIN_ROOT=${PROJECT_SOURCE_DIR})
  if(CMAKE_CXX_COMPILER_LAUNCHER)
    list(APPEND fuzz_args -DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER})
  endif()
  # BUILD_ALWAYS: the inner ninja decides what changed (a no-op build takes a fraction of a
  # second). -j2: the outer build already keeps the machine busy.
  ExternalProject_Add(splitbrain_fuzz
    SOURCE_DIR ${PROJECT_SOURCE_DIR}/fuzz
    BINARY_DIR ${fuzz_bin}
    CMAKE_GENERATOR ${CMAKE_GENERATOR}
    CMAKE_ARGS ${fuzz_args}
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> -j2
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON)
else()
  message(WARNING "clang++ not found: the fuzz tests will fail "
                  "(./scripts/install-deps.sh --test installs clang and libclang-rt-14-dev)")
endif()

foreach(t ${SPLITBRAIN_FUZZ_TARGETS})
  add_test(NAME fuzz_${t}
    COMMAND ${PROJECT_SOURCE_DIR}/fuzz/run_target.sh ${fuzz_bin}/${t}_fuzz
            ${PROJECT_SOURCE_DIR}/fuzz/corpus/${t} ${fuzz_bin}/run/${t} ${SPLITBRAIN_FUZZ_SECONDS})
  set_tests_properties(fuzz_${t} PROPERTIES LABELS fuzz TIMEOUT 120)
endforeach()
add_test(NAME fuzz_runner_detects_crash
  COMMAND ${PROJECT_SOURCE_DIR}/fuzz/run_target.sh ${fuzz_bin}/canary_fuzz
          ${PROJECT_SOURCE_DIR}/fuzz/corpus/canary ${fuzz_bin}/run/canary 1 --expect-crash)
set_tests_properties(fuzz_runner_detects_crash PROPERTIES LABELS fuzz TIMEOUT 60)
