#pragma once

// Writing .xlsx files (libxlsxwriter), apart from HTTP. libxlsxwriter writes
// to a path only, so the workbook goes through a temporary file that is read
// back and removed.

#include <string>
#include <vector>

#include "eventstore/status.h"

namespace crm::api {

struct Sheet {
  std::string name;                            // the worksheet's name
  std::vector<std::string> header;             // bold first row
  std::vector<std::vector<std::string>> rows;  // text cells (UTF-8)
};

// The bytes of an .xlsx workbook holding `sheets` in order. Fails with
// IOError when the temporary file cannot be written or read.
Result<std::string> XlsxBytes(const std::vector<Sheet>& sheets);
inline Result<std::string> XlsxBytes(const Sheet& sheet) {
  return XlsxBytes(std::vector<Sheet>{sheet});
}

}  // namespace crm::api
