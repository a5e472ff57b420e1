# splitbrain_test(NAME LABEL SOURCES... [LIBS ...] [TIMEOUT s]): one GoogleTest binary, its tests
# discovered and labelled `unit`, `sim` or `integration` (the tiers of STYLE.md), so
# `ctest -L unit` works.
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
    target_compile_options(splitbrain_test_pch PRIVATE -O0 -g0 -fno-sanitize=undefined,address)
  endif()
endfunction()

# A test binary's compile is mostly fixed cost — under SPLITBRAIN_SANITIZE an empty test file
# with the precompiled header took 2.45 s, harness/systems/nats_run_test.cc (95 lines, the
# harness's headers) 4.9 s, run_test.cc (765 lines) 6.4 s, alone on a quiet machine — and every
# binary is linked and run once more to list its tests. So a folder keeps one binary per tier
# where it can (node_test, node_integration_test, harness_unit_test, harness_run_test, ...):
# with 17 fewer binaries the sanitized build took 394.6 s in a clean clone against 459 s before
# (2026-12-02, one build each, the same machine). Its files share one unit, so
# a helper two of them need lives in a header (node/test_util.h, harness/testing/run_files.h).
function(splitbrain_test name label)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  splitbrain_warnings(${name})
  if(SPLITBRAIN_SANITIZE)
    # The test files themselves — assertions and fixtures, never shipped — are built at -O0
    # without sanitizers and without debug information: 2.3x faster to compile without UBSan
    # (checker/linearizable_test.cc: 17.6 s with the full flags, 7.5 s without), -g0 saves
    # another 16% (harness/run_test.cc, the least of three runs: 7.76 s at -g1, 6.51 s), and
    # without ASan too (and its precompiled header built the same way) user+sys CPU, the least of
    # two compiles each, falls 10.4 → 7.7 s (records/records_test.cc), 6.0 → 5.2
    # (checker/linearizable_test.cc) and 14.4 → 9.4 (harness/run_test.cc). The binaries still
    # link the sanitizer runtimes, and every access the tested code makes is checked. A failed
    # assertion still names its file and line; a sanitizer's stack trace names the test's
    # functions, and gives lines for everything the tests call. Everything they test —
    # every library, the node, the harness, the testing libraries (history_gen, local_cluster,
    # the simulator) — keeps ASan+UBSan and line tables (Sanitizers.cmake: -O0, hot code -O1).
    target_compile_options(${name} PRIVATE -O0 -g0 -fno-sanitize=undefined,address)
    # And each test binary's files are compiled as one unit (CMake's unity build): a test file's
    # own code is little, the cost of a unit is mostly fixed (the 138 MB precompiled header
    # mapped, the project's headers parsed), and page faults are dear on this kind of VM (one
    # library compile: 97k faults, 1.43 s of system time; loading the 111 MB library header into
    # an empty file: 0.91 s user + 0.72 s sys). Every test object
    # rebuilt, without ccache, in one build tree at load 5-9 (`CCACHE_DISABLE=1 /usr/bin/time
    # ninja -j2`, objects deleted first): 71 files 360 s user + 131 s sys, 31 units 248 + 74.
    # Helpers two test files of one binary share live in a header (checker/test_history.h,
    # results/test_util.h), never as two definitions of one name. The plain build (no
    # SPLITBRAIN_SANITIZE) still compiles each file alone.
    set_target_properties(${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 0)
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main
                                        nlohmann_json::nlohmann_json)
  target_precompile_headers(${name} REUSE_FROM splitbrain_test_pch)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # Under the sanitizers every test, and every process it starts, keeps 16 MB of freed memory
  # poisoned instead of ASan's 256: a use after free is still caught while the block is among
  # the last 16 MB freed, and the fixed-work tests spend 10-26% less CPU on fresh pages
  # (DifferentialTest.AgreesWithBruteForceOnTenThousandSmallHistories 10.1 -> 7.5 s user+sys,
  # the 100,000-op browser test 20.7 -> 18.2, alone on a quiet machine). Configured with
  # ASAN_OPTIONS in its environment, the build leaves the tests that one.
  set(env "")
  if(SPLITBRAIN_SANITIZE AND NOT DEFINED ENV{ASAN_OPTIONS})
    set(env ENVIRONMENT "ASAN_OPTIONS=quarantine_size_mb=16")
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS ${label} TIMEOUT ${ARG_TIMEOUT} ${env}
    DISCOVERY_TIMEOUT 60)
endfunction()

# splitbrain_library_pch(): under SPLITBRAIN_SANITIZE, one precompiled header — nlohmann/json
# and the standard headers most of the project includes — reused by every library of the
# project (call it after every add_subdirectory). It saves 1.3–2.8 s of user CPU per file at the
# test build's flags (records/fault_log.cc 11.9 → 9.2 s, harness/runner.cc 10.7 → 8.2 s,
# checker/set_checker.cc 7.0 → 5.7 s), on some seventy files. Not for the hot code (-O1 defines
# __OPTIMIZE__, which a header compiled at -O0 cannot serve: splitbrain_hot marks it), nor for
# the plain build, where a missing #include must still fail to compile.
# Under SPLITBRAIN_SANITIZE the libraries are unity builds too, SPLITBRAIN_UNITY_LIBS files a
# unit (0: each file alone): a library file's fixed cost — the precompiled header mapped, the
# project's headers parsed, page faults that are dear on this kind of VM — is paid once a unit.
# Every library built, no ccache, one fresh build tree each, 2 cores, nothing else running
# (`/usr/bin/time ninja <every .a>`, 2026-12-01): per file 350 s wall, 529 s user + 161 s sys;
# 8 files a unit 198 s wall, 311 s user + 75 s sys. File-local names (anonymous namespaces) must
# not repeat within a library: a unit holds several of its files. Compiled alone: generated
# protobuf code, and SPLITBRAIN_UNITY_ALONE — node/http_server.cc, whose class (declared in its
# header) holds a type of the file's anonymous namespace: fine in a file of its own, an error
# (-Wsubobject-linkage) once the file is included into a unit. The plain build compiles each
# file alone, so a missing #include still fails there.
set(SPLITBRAIN_UNITY_LIBS 8 CACHE STRING "Library files per unity unit under SPLITBRAIN_SANITIZE (0: off)")
set(SPLITBRAIN_UNITY_ALONE node/http_server.cc)

function(splitbrain_library_pch)
  if(NOT SPLITBRAIN_SANITIZE)
    return()
  endif()
  file(WRITE ${CMAKE_BINARY_DIR}/splitbrain_lib_pch.cc "// the precompiled header's own unit\n")
  add_library(splitbrain_lib_pch STATIC ${CMAKE_BINARY_DIR}/splitbrain_lib_pch.cc)
  splitbrain_warnings(splitbrain_lib_pch)
  target_link_libraries(splitbrain_lib_pch PRIVATE nlohmann_json::nlohmann_json)
  target_precompile_headers(splitbrain_lib_pch PRIVATE
    <algorithm> <atomic> <chrono> <cstdint> <cstdio> <filesystem> <fstream> <functional> <map>
    <memory> <mutex> <optional> <set> <sstream> <string> <string_view> <thread> <vector>
    <nlohmann/json.hpp>)
  set(dirs ${PROJECT_SOURCE_DIR})
  while(dirs)
    list(POP_FRONT dirs dir)
    get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
    list(APPEND dirs ${subdirs})
    get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
    foreach(t ${targets})
      get_target_property(type ${t} TYPE)
      get_target_property(reuse ${t} PRECOMPILE_HEADERS_REUSE_FROM)
      get_target_property(hot ${t} SPLITBRAIN_HOT)
      if(type STREQUAL "STATIC_LIBRARY" AND NOT reuse AND NOT hot AND
         NOT t MATCHES "^splitbrain_(lib|test)_pch$")
        target_precompile_headers(${t} REUSE_FROM splitbrain_lib_pch)
      endif()
      if(type STREQUAL "STATIC_LIBRARY" AND SPLITBRAIN_UNITY_LIBS GREATER 0 AND
         NOT t MATCHES "^splitbrain_(lib|test)_pch$")
        set_target_properties(${t} PROPERTIES UNITY_BUILD ON
                                              UNITY_BUILD_BATCH_SIZE ${SPLITBRAIN_UNITY_LIBS})
        get_target_property(sources ${t} SOURCES)
        get_target_property(source_dir ${t} SOURCE_DIR)
        foreach(src ${sources})
          get_filename_component(abs ${src} ABSOLUTE BASE_DIR ${source_dir})
          file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${abs})
          if(src MATCHES "\\.pb\\.cc$" OR rel IN_LIST SPLITBRAIN_UNITY_ALONE)
            set_source_files_properties(${abs} TARGET_DIRECTORY ${t}
                                        PROPERTIES SKIP_UNITY_BUILD_INCLUSION ON)
          endif()
        endforeach()
      endif()
    endforeach()
  endwhile()
endfunction()

# ctest starts the tests it knows to be long first, from the wall times it keeps in
# Testing/Temporary/CTestCostData.txt; a fresh build directory — every CI run — has none, so the
# suite ran in declaration order and the longest runs (harness/, the last directory) could end it
# alone on a core. cmake/ctest-cost-seed.txt gives such a directory the tests over 3 s, with their
# seconds from a full suite run; ctest rewrites the file after each run, so a build directory that
# has run the suite keeps its own figures. A test missing from the seed only starts later: a
# stale seed left the etcd and ZooKeeper runs (10–30 s each) to the end of a clean-clone run at
# -j3, 412 s of tests. Regenerate it from a clean-clone run's ctest output LOG when long tests
# are added:
#   grep -E '^ *[0-9]+/[0-9]+ Test' LOG | sed -E 's/.*Test +#[0-9]+: ([^ ]+) \.+ *(\*\*\*)?(Passed|Failed) +([0-9.]+) sec/\1 \4/' |
#     awk '$2>=3{printf "%s 1 %.1f\n",$1,$2}' | sort -k3 -rn > cmake/ctest-cost-seed.txt
if(NOT EXISTS ${CMAKE_BINARY_DIR}/Testing/Temporary/CTestCostData.txt)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/ctest-cost-seed.txt
                 ${CMAKE_BINARY_DIR}/Testing/Temporary/CTestCostData.txt COPYONLY)
endif()
