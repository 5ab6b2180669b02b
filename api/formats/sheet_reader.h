#pragma once

// Reading spreadsheets for imports: the first worksheet of an .xlsx workbook
// (libzip + expat) or a CSV file, as rows of text cells. Both refuse, with
// InvalidArgument and an English message meant for the person who uploaded the
// file, anything malformed or too large; neither trusts its input (zip bombs,
// truncated files and garbage are errors, never crashes).
//
// Limits (both formats): 1,000,000 rows, 16384 columns, 16,777,216 cells once
// gaps are filled in, and 128 MiB of memory for the table (its text and every
// cell, the empty ones before a row's last value included); for .xlsx also
// 200 MiB of uncompressed archive entries and 64 MiB for the shared strings.

#include <string>
#include <string_view>
#include <vector>

#include "eventstore/status.h"

namespace crm::api {

// A sheet's cells as text, row by row (row 0 = the first row of the sheet,
// usually headers). Rows are as long as their last cell that has a value, so
// rows may differ in length; empty rows are empty vectors. Trailing rows with
// no non-empty cell are dropped.
using Table = std::vector<std::vector<std::string>>;

// The first worksheet of an .xlsx (Office Open XML) workbook given as bytes.
// Row and column positions follow the sheet (the cell in C5 is table[4][2];
// cells skipped by the sheet are ""). Values are the text stored in the file:
// strings as written (UTF-8), numbers exactly as in the file ("12.5", and
// dates as their serial number, e.g. "45352"), booleans as "true"/"false",
// error values as their text ("#N/A"), formulas as their last calculated
// value ("" when the file holds none).
Result<Table> ReadXlsx(std::string_view bytes);

// RFC 4180 CSV in UTF-8 (a byte order mark is skipped; other encodings are
// refused). Fields are separated by ';' when the first line has more ';' than
// ',' outside quotes, otherwise by ','. Lines end with CRLF, LF or CR; quoted
// fields may hold separators, newlines (returned as "\n") and "" for a quote.
// A blank line is an empty row. A quote inside an unquoted field, or text
// after a closing quote, is kept as written.
Result<Table> ReadCsv(std::string_view text);

}  // namespace crm::api
