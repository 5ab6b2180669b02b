#pragma once

// The columns of a list: a field of its records, the headers of its
// exports, and the field's type. The type says how the list filters by the
// field and how an export writes it, so that each list names its fields
// once (domain/lists.h) and the platform does the rest.

namespace crm::domain {

enum class ColumnType {
  kText,    // free text: searched (q=), written as text
  kRecord,  // the id of another record: filtered by id, exported by its name
  kChoice,  // a key from a set (a stage, a status): filtered by key, exported by its label
  kBool,    // exported as da/nu (yes/no)
  kMoney,   // a decimal amount: ranges from..to, exported as a number of 2 decimals
  kDate,    // YYYY-MM-DD: ranges, exported as a date
  kTime,    // an instant: ranges, exported as its UTC date and time
};

struct ColumnLabel {
  const char* column;
  const char* ro;
  const char* en;
  ColumnType type = ColumnType::kText;
};

// Whether a list takes `field=a,b` (any of the values) on a column of `type`.
constexpr bool FiltersByValue(ColumnType type) {
  return type == ColumnType::kRecord || type == ColumnType::kChoice;
}
// Whether a list takes `field=from..to` (or one value) on a column of `type`.
constexpr bool FiltersByRange(ColumnType type) {
  return type == ColumnType::kMoney || type == ColumnType::kDate || type == ColumnType::kTime;
}

}  // namespace crm::domain
