#pragma once

// The accounts table: every account with its normalized fields, searchable
// (case- and diacritics-insensitive) and filterable.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "projections/projection.h"

namespace crm::projections {

struct AccountRow {
  std::string id;
  std::string code;
  std::map<std::string, std::string> text;  // the standard text fields
  bool vat_payer = false;
  std::string folder_id;
  std::string owner_id;
  std::map<std::string, std::string> custom;
  bool archived = false;
  uint64_t version = 0;
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
  std::string search;  // folded: name, code, fiscal code, email, phones, city
};

struct AccountQuery {
  std::optional<std::set<std::string>> folders;  // in one of these (all when empty)
  std::string q;                                 // every word must occur (folded)
  std::map<std::string, std::string> equals;     // field (or "custom.<key>") -> value
  bool include_archived = false;
};

class Accounts final : public Projection {
 public:
  std::string_view Name() const override { return "accounts"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override { return std::make_unique<Accounts>(); }

  std::optional<AccountRow> Get(const std::string& id) const;
  // Matching rows, oldest first.
  std::vector<AccountRow> Find(const AccountQuery& query) const;

  struct Page {
    size_t total = 0;              // rows matching
    std::vector<AccountRow> rows;  // rows offset .. offset+limit of the sorted matches
  };
  // One page of the matches, sorted by `sort` (field, descending) and then by
  // creation. Only the page's rows are copied.
  Page Query(const AccountQuery& query, const std::vector<std::pair<std::string, bool>>& sort,
             size_t offset, size_t limit) const;
  // Accounts per folder (archived ones not counted).
  std::map<std::string, size_t> CountsByFolder() const;

 private:
  // The rows matching `query`, in creation order. REQUIRES: mutex() held.
  std::vector<const AccountRow*> Match(const AccountQuery& query) const;
  std::map<std::string, AccountRow> rows_;  // GUARDED_BY(mutex()); ids are time-ordered
};

// The value of `field` ("name", "vat_payer", "code", "folder_id", "owner_id",
// "custom.<key>", …) in `row`, as text; "" when unset.
std::string FieldValue(const AccountRow& row, const std::string& field);

}  // namespace crm::projections
