#pragma once

// Workbooks read back by a real spreadsheet library: Debian's python3-openpyxl.

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "support/process.h"

namespace crm::testing {

// Every sheet of the .xlsx `bytes` as {"<title>": [[cell, …], …]} (cells as
// openpyxl reads them: text, numbers, null), written to `path` first.
// Fails the test (and answers null) when openpyxl cannot read it.
inline nlohmann::json ReadWorkbook(const std::string& bytes, const std::string& path) {
  std::ofstream(path, std::ios::binary) << bytes;
  auto [code, out] =
      RunProgram("/usr/bin/python3",
                 {"-c",
                  "import json, sys, openpyxl\n"
                  "wb = openpyxl.load_workbook(sys.argv[1])\n"
                  "print(json.dumps({ws.title: [[c.value for c in row] for row in ws.iter_rows()]"
                  " for ws in wb.worksheets}, ensure_ascii=False, default=str))",
                  path});
  EXPECT_EQ(0, code) << out;
  return code == 0 ? nlohmann::json::parse(out) : nlohmann::json();
}

}  // namespace crm::testing
