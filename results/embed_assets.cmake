# Generates report_assets.cc: the report's CSS and JavaScript as C++ raw strings, so the
# executable carries them and every report is one self-contained file.
#   cmake -DSRC=<results dir> -DOUT=<generated .cc> -P embed_assets.cmake
file(READ ${SRC}/report.css css)
file(READ ${SRC}/report.js js)
foreach(text IN ITEMS "${css}" "${js}")
  string(FIND "${text}" ")sbasset\"" bad)
  if(NOT bad EQUAL -1)
    message(FATAL_ERROR "an asset contains the raw-string delimiter )sbasset\"")
  endif()
endforeach()
file(WRITE ${OUT}.new "// Generated from results/report.css and results/report.js; do not edit.\n"
  "#include \"results/report_assets.h\"\n\nnamespace splitbrain::results {\n"
  "const char kReportCss[] = R\"sbasset(${css})sbasset\";\n"
  "const char kReportJs[] = R\"sbasset(${js})sbasset\";\n}  // namespace splitbrain::results\n")
file(COPY_FILE ${OUT}.new ${OUT} ONLY_IF_DIFFERENT)
