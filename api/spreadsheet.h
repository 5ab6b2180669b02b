#pragma once

// Writing .xlsx files (libxlsxwriter). libxlsxwriter writes to a path only, so
// the sheet goes through a temporary file that is read back and removed.

#include <httplib.h>

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

// Answers with `sheets` as an .xlsx download named `file_name` (ASCII), or
// with the problem of a failure to write it.
void SendWorkbook(httplib::Response& res, const std::vector<Sheet>& sheets,
                  const std::string& file_name);

}  // namespace crm::api
