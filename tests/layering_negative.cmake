# Plants each kind of layering violation in a small fake tree and expects check-layering.sh to
# reject it and name the file: an upward include, a sideways include, an upward namespace
# reference, a loop of file pairs, and a folder missing from the table.
function(expect_rejected name expect)
  set(tree ${WORK}/${name})
  execute_process(COMMAND ${SRC}/scripts/check-layering.sh ${tree} RESULT_VARIABLE rc
                  OUTPUT_QUIET ERROR_VARIABLE err)
  if(rc EQUAL 0)
    message(FATAL_ERROR "layering check accepted the ${name} tree")
  endif()
  string(FIND "${err}" "${expect}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "layering check on ${name} did not say '${expect}': ${err}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK})
# A clean tree passes (so the rejections below are about the planted lines).
file(WRITE ${WORK}/clean/common/low.h "int low();\n")
file(WRITE ${WORK}/clean/harness/high.h "#include \"common/low.h\"\n")
execute_process(COMMAND ${SRC}/scripts/check-layering.sh ${WORK}/clean RESULT_VARIABLE rc
                OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "layering check rejected a clean tree: ${err}")
endif()

file(WRITE ${WORK}/upward/common/low.h "#include \"harness/high.h\"\n")
file(WRITE ${WORK}/upward/harness/high.h "int high();\n")
expect_rejected(upward "common/low.h:1: common (level 0) includes harness/high.h")

file(WRITE ${WORK}/sideways/checker/a.h "#include \"nemesis/b.h\"\n")
file(WRITE ${WORK}/sideways/nemesis/b.h "int b();\n")
expect_rejected(sideways "checker/a.h:1: checker (level 2) includes nemesis/b.h")

file(WRITE ${WORK}/reference/nemesis/fault.h "// a name from harness::FaultNames()\n")
file(WRITE ${WORK}/reference/harness/plan.h "int plan();\n")
expect_rejected(reference "nemesis/fault.h:1: nemesis (level 2) names harness::")

# plan.cc includes system.h, which includes plan.h: a loop of file pairs inside one folder.
file(WRITE ${WORK}/loop/harness/plan.h "int plan();\n")
file(WRITE ${WORK}/loop/harness/plan.cc "#include \"harness/plan.h\"\n#include \"harness/system.h\"\n")
file(WRITE ${WORK}/loop/harness/system.h "#include \"harness/plan.h\"\n")
expect_rejected(loop "harness/plan.cc:2 includes harness/system.h")

file(WRITE ${WORK}/unplaced/elsewhere/x.h "int x();\n")
expect_rejected(unplaced "elsewhere/x.h")
