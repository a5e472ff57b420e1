# Warnings are errors in every target of this project (not in third-party headers, which are
# included as SYSTEM by their imported targets).
function(splitbrain_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
endfunction()
