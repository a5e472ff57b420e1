# splitbrain_test(NAME LABEL SOURCES... [LIBS ...]): one GoogleTest binary, its tests discovered
# and labelled `unit`, `sim` or `integration` (the tiers of STYLE.md), so `ctest -L unit` works.
include(GoogleTest)
function(splitbrain_test name label)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  splitbrain_warnings(${name})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  gtest_discover_tests(${name}
    PROPERTIES LABELS ${label} TIMEOUT ${ARG_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()
