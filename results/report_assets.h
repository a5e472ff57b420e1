// The report page's stylesheet and script (results/report.css, results/report.js), compiled in
// by embed_assets.cmake so a report never loads anything from anywhere.
#pragma once

namespace splitbrain::results {

extern const char kReportCss[];
extern const char kReportJs[];

}  // namespace splitbrain::results
