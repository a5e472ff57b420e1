# SPLITBRAIN_SANITIZE=ON builds everything, tests and node processes included, with ASan+UBSan.
# UBSan findings abort, so a test that triggers undefined behaviour fails.
# -O0 -g1 (after the build type's -O2 -g, so they win): line tables enough for the sanitizers'
# stack traces, and the cheapest compile — the README's test command builds everything from a
# clean clone on 2 cores, and code generation at -O1 dominated it (user CPU, one file at a
# time: node/client.cc 64 s at -O1, 32 s at -O0; records/history.cc 13 s, 8 s). The code the
# tests spend their CPU in — the Raft core, the simulator, the linearizability search — asks for
# -O1 with splitbrain_hot() below.
# UBSan runs the checks that find what ASan cannot — signed overflow, shifts, division by zero,
# out-of-bounds array indexes, invalid bool and enum values, float-to-int overflow,
# __builtin_unreachable reached — and leaves out those that ASan covers or that cost the most to
# compile for little: null (ASan reports the dereference), object-size (ASan reports the
# access), alignment (x86 tolerates it), vptr, pointer-overflow, return and the nonnull
# attributes (-Werror=return-type). User CPU with the full set, the set below and ASan alone, one
# file at a time (seconds): node/http_server.cc 30.6 / 25.3 / 22.1, node/node.cc 24.7 / 14.7 /
# 19.0, harness/runner.cc 11.4 / 6.5 / 6.7, records/fault_log.cc 8.1 / 6.4 / 7.0. The fuzz
# targets (fuzz/), where what a stranger sends is parsed, keep every UBSan check.
if(SPLITBRAIN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined
                      -fno-sanitize=null,object-size,alignment,vptr,pointer-overflow,return,nonnull-attribute,returns-nonnull-attribute
                      -fno-sanitize-recover=all -fno-omit-frame-pointer -O0 -g1)
  add_link_options(-fsanitize=address,undefined)
  # lld links the sanitized binaries in 2.2 s where ld.bfd takes 5.8 (harness/splitbrain, one
  # link, wall); install-deps.sh --test installs it, and without it the default linker is used.
  include(CheckLinkerFlag)
  check_linker_flag(CXX -fuse-ld=lld SPLITBRAIN_HAVE_LLD)
  if(SPLITBRAIN_HAVE_LLD)
    add_link_options(-fuse-ld=lld)
  endif()
endif()
# splitbrain_hot(TARGET [SOURCES f...]): the target (or only those of its sources) at -O1 under
# SPLITBRAIN_SANITIZE — code the tests spend their CPU in.
function(splitbrain_hot target)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  if(NOT SPLITBRAIN_SANITIZE)
    return()
  endif()
  # -O1 defines __OPTIMIZE__: the library precompiled header (built at -O0) cannot serve it.
  if(ARG_SOURCES)
    set_source_files_properties(${ARG_SOURCES} TARGET_DIRECTORY ${target}
                                PROPERTIES COMPILE_OPTIONS "-O1" SKIP_PRECOMPILE_HEADERS ON)
  else()
    target_compile_options(${target} PRIVATE -O1)
    set_property(TARGET ${target} PROPERTY SPLITBRAIN_HOT ON)
  endif()
endfunction()
