#pragma once

// The lists users configure: for each entity with a list of its own
// (accounts, opportunities, activities), the columns it can show besides
// "custom.<key>" (with the headers of exports), the built-in table, and the
// fields it sorts by. Table settings choose among these.

#include <span>
#include <string>
#include <string_view>

#include "domain/accounts/account.h"

namespace crm::domain {

struct ListSpec {
  std::string_view entity;
  std::span<const ColumnLabel> columns;  // in the built-in order
  std::span<const char* const> defaults;           // the built-in table's columns
  std::string_view pinned;                         // the built-in pinned column
  std::string_view sort;                           // the built-in sort ("" for none)
  std::span<const char* const> sortable;

  const ColumnLabel* Column(std::string_view column) const;
  bool Sorts(std::string_view field) const;
};

// The list of `entity`; nullptr for an entity without one (e.g. "contact").
const ListSpec* ListOf(std::string_view entity);

}  // namespace crm::domain
