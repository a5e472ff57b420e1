# splitbrain_test(NAME LABEL SOURCES... [LIBS ...]): one GoogleTest binary, its tests discovered
# and labelled `unit`, `sim` or `integration` (the tiers of STYLE.md), so `ctest -L unit` works.
include(GoogleTest)

# splitbrain_test_pch(): one precompiled header for every test file — GoogleTest, GoogleMock and
# nlohmann/json, whose parsing was 2.5 s of the 5–9 s each test file took to compile — built
# once, with the test files' own flags, and reused by every test target (called by the top-level
# CMakeLists.txt once GTest is found).
function(splitbrain_test_pch)
  file(WRITE ${CMAKE_BINARY_DIR}/splitbrain_test_pch.cc "// the precompiled header's own unit\n")
  add_library(splitbrain_test_pch STATIC ${CMAKE_BINARY_DIR}/splitbrain_test_pch.cc)
  splitbrain_warnings(splitbrain_test_pch)
  target_link_libraries(splitbrain_test_pch PRIVATE GTest::gtest GTest::gmock
                                                    nlohmann_json::nlohmann_json)
  target_precompile_headers(splitbrain_test_pch PRIVATE <gtest/gtest.h> <gmock/gmock.h>
                            <nlohmann/json.hpp>)
  if(SPLITBRAIN_SANITIZE)
    target_compile_options(splitbrain_test_pch PRIVATE -O0 -fno-sanitize=undefined)
  endif()
endfunction()

function(splitbrain_test name label)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  splitbrain_warnings(${name})
  if(SPLITBRAIN_SANITIZE)
    # The test files themselves — assertions and fixtures, never shipped — are built with ASan
    # at -O0 and without UBSan: 2.3x faster to compile (checker/linearizable_test.cc: 17.6 s with
    # the full flags, 7.5 s like this), which keeps the suite inside CI's budget. Everything
    # they test — every library, the node, the harness, the testing libraries (history_gen,
    # local_cluster, the simulator) — keeps ASan+UBSan (Sanitizers.cmake: -O0, hot code -O1).
    set_source_files_properties(${ARG_SOURCES} TARGET_DIRECTORY ${name}
                                PROPERTIES COMPILE_OPTIONS "-O0;-fno-sanitize=undefined")
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main
                                        nlohmann_json::nlohmann_json)
  target_precompile_headers(${name} REUSE_FROM splitbrain_test_pch)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS ${label} TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()
