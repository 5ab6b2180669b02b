#include "api/formats/xlsx_writer.h"

#include <unistd.h>
#include <xlsxwriter.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace crm::api {

Result<std::string> XlsxBytes(const std::vector<Sheet>& sheets) {
  std::string path = (std::filesystem::temp_directory_path() / "crm-xlsx-XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) return Status::IOError("cannot create a temporary file");
  close(fd);
  lxw_workbook* workbook = workbook_new(path.c_str());
  if (workbook == nullptr) {
    std::filesystem::remove(path);
    return Status::IOError("cannot start a workbook");
  }
  lxw_format* bold = workbook_add_format(workbook);
  format_set_bold(bold);
  lxw_format* money = workbook_add_format(workbook);
  format_set_num_format(money, "#,##0.00");
  lxw_format* date = workbook_add_format(workbook);
  format_set_num_format(date, "yyyy-mm-dd");
  lxw_format* time = workbook_add_format(workbook);
  format_set_num_format(time, "yyyy-mm-dd hh:mm:ss");
  for (const Sheet& sheet : sheets) {
    lxw_worksheet* worksheet = workbook_add_worksheet(workbook, sheet.name.c_str());
    for (size_t c = 0; c < sheet.header.size(); ++c) {
      worksheet_write_string(worksheet, 0, static_cast<lxw_col_t>(c), sheet.header[c].c_str(),
                             bold);
      worksheet_set_column(worksheet, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c), 18,
                           nullptr);
    }
    for (size_t r = 0; r < sheet.rows.size(); ++r) {
      for (size_t c = 0; c < sheet.rows[r].size(); ++c) {
        const Cell& cell = sheet.rows[r][c];
        if (cell.empty()) continue;
        const auto row = static_cast<lxw_row_t>(r + 1);
        const auto col = static_cast<lxw_col_t>(c);
        switch (cell.kind) {
          case Cell::Kind::kNumber:
            worksheet_write_number(worksheet, row, col, static_cast<double>(cell.number), nullptr);
            break;
          case Cell::Kind::kMoney:
            // Minor units to a double for the spreadsheet: exact to the cent
            // below 2^53 minor units.
            worksheet_write_number(worksheet, row, col, static_cast<double>(cell.number) / 100,
                                   money);
            break;
          case Cell::Kind::kDecimal: {
            char* end = nullptr;
            const double value = std::strtod(cell.text.c_str(), &end);
            if (end != cell.text.c_str() && *end == '\0') {
              worksheet_write_number(worksheet, row, col, value, nullptr);
            } else {
              worksheet_write_string(worksheet, row, col, cell.text.c_str(), nullptr);
            }
            break;
          }
          case Cell::Kind::kTime: {
            const time_t seconds = static_cast<time_t>(cell.number / 1'000'000);
            std::tm utc{};
            gmtime_r(&seconds, &utc);
            lxw_datetime at{utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                            utc.tm_hour,        utc.tm_min,     static_cast<double>(utc.tm_sec)};
            worksheet_write_datetime(worksheet, row, col, &at, time);
            break;
          }
          case Cell::Kind::kDate: {
            lxw_datetime day{};
            if (std::sscanf(cell.text.c_str(), "%4d-%2d-%2d", &day.year, &day.month, &day.day) ==
                3) {
              worksheet_write_datetime(worksheet, row, col, &day, date);
            } else {
              worksheet_write_string(worksheet, row, col, cell.text.c_str(), nullptr);
            }
            break;
          }
          case Cell::Kind::kText:
            worksheet_write_string(worksheet, row, col, cell.text.c_str(), nullptr);
            break;
        }
      }
    }
    worksheet_freeze_panes(worksheet, 1, 0);
  }
  const lxw_error closed = workbook_close(workbook);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::filesystem::remove(path);
  if (closed != LXW_NO_ERROR || !in) {
    return Status::IOError(std::string("cannot write the workbook: ") + lxw_strerror(closed));
  }
  return bytes.str();
}

}  // namespace crm::api
