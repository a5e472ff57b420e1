# SPLITBRAIN_SANITIZE=ON builds everything, tests and node processes included, with ASan+UBSan.
# UBSan findings abort, so a test that triggers undefined behaviour fails.
if(SPLITBRAIN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
