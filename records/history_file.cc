#include "records/history_file.h"

#include <fstream>

#include "records/history_edn.h"
#include "records/history_jsonl.h"

namespace splitbrain::records {

Result<History> ReadHistoryFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + path);
  std::string text;
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  if (size > 0) {
    text.resize(static_cast<size_t>(size));
    in.seekg(0);
    in.read(text.data(), size);
  }
  if (!in && size > 0) return Status::IoError("cannot read " + path);
  size_t i = text.find_first_not_of(" \t\r\n");
  bool edn = path.size() >= 4 && path.compare(path.size() - 4, 4, ".edn") == 0;
  if (i != std::string::npos && (text[i] == '[' || text[i] == '#' || text[i] == ';' ||
                                 (text[i] == '{' && i + 1 < text.size() && text[i + 1] == ':'))) {
    edn = true;
  }
  if (i != std::string::npos && text[i] == '{') {
    size_t j = text.find_first_not_of(" \t\r\n", i + 1);
    edn = j != std::string::npos && text[j] != '"';
  }
  return edn ? ParseEdnHistory(text, path) : ParseJsonlHistory(text, path);
}

}  // namespace splitbrain::records
