# SPLITBRAIN_SANITIZE=ON builds everything, tests and node processes included, with ASan+UBSan.
# UBSan findings abort, so a test that triggers undefined behaviour fails.
# -O1 -g1 (after the build type's -O2 -g, so they win): what ASan recommends, line tables enough
# for its stack traces, and half the compile time of the Beast-heavy files (node/client.cc: 61 s
# at -O2 -g, 29 s at -O1 -g1), which keeps the README's test command inside CI's budget.
if(SPLITBRAIN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
                      -O1 -g1)
  add_link_options(-fsanitize=address,undefined)
endif()
