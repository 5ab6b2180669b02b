#pragma once

// Writing .xlsx files (libxlsxwriter), apart from HTTP. libxlsxwriter writes
// to a path only, so the workbook goes through a temporary file that is read
// back and removed.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "eventstore/status.h"

namespace crm::api {

// One cell: text, or a typed value a spreadsheet computes with. Money is
// integer minor units, shown with two decimals; a number is a whole number;
// a decimal is canonical decimal text ("-12.5"); a date is YYYY-MM-DD,
// written as a date (text when it is not one); a time is an instant, written
// as its UTC date and time. A spreadsheet holds numbers as doubles: exact to
// the cent below 2^53 minor units, and to 15 significant digits for decimals.
struct Cell {
  enum class Kind { kText, kNumber, kMoney, kDecimal, kDate, kTime };
  Kind kind = Kind::kText;
  std::string text;    // kText, kDecimal, kDate
  int64_t number = 0;  // kNumber; kMoney in minor units; kTime in Unix microseconds

  Cell() = default;
  Cell(std::string t) : text(std::move(t)) {}  // NOLINT: text is the common cell
  Cell(const char* t) : text(t) {}             // NOLINT
  static Cell Number(int64_t n) { return {Kind::kNumber, "", n}; }
  static Cell Money(int64_t minor) { return {Kind::kMoney, "", minor}; }
  static Cell Decimal(std::string text) { return {Kind::kDecimal, std::move(text), 0}; }
  static Cell Date(std::string day) { return {Kind::kDate, std::move(day), 0}; }
  static Cell Time(int64_t unix_us) { return {Kind::kTime, "", unix_us}; }
  bool empty() const {
    return (kind == Kind::kText || kind == Kind::kDecimal || kind == Kind::kDate) && text.empty();
  }

 private:
  Cell(Kind k, std::string t, int64_t n) : kind(k), text(std::move(t)), number(n) {}
};

struct Sheet {
  std::string name;                     // the worksheet's name
  std::vector<std::string> header;      // bold first row
  std::vector<std::vector<Cell>> rows;  // UTF-8 text or typed cells
};

// The bytes of an .xlsx workbook holding `sheets` in order. Fails with
// IOError when the temporary file cannot be written or read.
Result<std::string> XlsxBytes(const std::vector<Sheet>& sheets);
inline Result<std::string> XlsxBytes(const Sheet& sheet) {
  return XlsxBytes(std::vector<Sheet>{sheet});
}

}  // namespace crm::api
