#pragma once

// The accounts table: every account with its normalized fields, searchable
// (case- and diacritics-insensitive) and filterable.

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "projections/projection.h"
#include "projections/query.h"

namespace crm::projections {

struct AccountRow {
  std::string id;
  std::string code;
  std::map<std::string, std::string> text;  // the standard text fields
  bool vat_payer = false;
  std::string folder_id;
  std::string owner_id;
  std::map<std::string, std::string> custom;
  std::map<std::string, std::map<std::string, std::string>> contacts;  // id -> fields
  bool archived = false;
  std::string merged_into;  // the survivor, once merged (then listed only with archived ones)
  uint64_t version = 0;
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
};

template <class Archive>
void Fields(Archive& ar, AccountRow& row) {
  auto& [id, code, text, vat_payer, folder_id, owner_id, custom, contacts, archived, merged_into,
         version, created_at_us, updated_at_us] = row;
  ar(id, code, text, vat_payer, folder_id, owner_id, custom, contacts, archived, merged_into,
     version, created_at_us, updated_at_us);
}

struct AccountQuery {
  std::optional<std::set<std::string>> folders;  // in one of these (all when empty)
  std::string q;                                 // every word must occur (folded)
  // field (or "custom.<key>") -> value. Standard text fields compare folded
  // (case and diacritics ignored); the others exactly.
  AnyOf equals;  // any of the values; text and custom fields compare folded
  // An inclusive range per field; an empty bound is open. Kind says how
  // values compare.
  using Range = ValueRange;
  Ranges ranges;
  bool include_archived = false;
};

class Accounts final : public Snapshotted<Accounts> {
 public:
  std::string_view Name() const override { return "accounts"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override { return std::make_unique<Accounts>(); }

  std::optional<AccountRow> Get(const std::string& id) const;
  // The id of the account with `code` (archived and merged ones too), or of
  // an active account with fiscal code `fiscal_code` (normal form); "" when
  // none.
  std::string IdByCode(const std::string& code) const;
  std::string IdByFiscalCode(const std::string& fiscal_code) const;
  // The name of account `id`; "" when there is none.
  std::string NameOf(const std::string& id) const;
  // The ids of the accounts (archived ones too) whose folded name holds
  // every one of `words` (SearchWords); none for no words.
  std::unordered_set<std::string> IdsNamed(const std::vector<std::string>& words) const;

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

  // A likely duplicate: the other account, a score (0-100) and why.
  struct Duplicate {
    std::vector<std::string> ids;  // the two accounts, older first
    int score = 0;
    std::vector<std::string>
        reasons;  // "same_fiscal_code", "same_email", "same_phone", "same_name"
  };
  // Accounts that look like `id` (archived ones never do), best first.
  std::vector<Duplicate> DuplicatesOf(const std::string& id) const;
  // Every pair that looks alike, best first, at most `limit`.
  std::vector<Duplicate> AllDuplicates(size_t limit) const;

 private:
  // What a scan reads, kept contiguous: walking a map of 100,000 rows was
  // mostly cache misses (27 ms per list at 100,000 accounts). `folded` holds
  // the standard text fields folded (kAccountTextFields order), for filters
  // and sorts without a map lookup or a fold per row and request.
  struct Slot {
    const AccountRow* row;
    std::string search;
    std::string folder_id;
    std::string owner_id;
    bool archived = false;
    std::vector<std::string> folded;
    // The row pointer is not written: Restored points it again.
    template <class Archive>
    friend void Fields(Archive& ar, Slot& slot) {
      ar(slot.search, slot.folder_id, slot.owner_id, slot.archived, slot.folded);
    }
  };
  friend class Snapshotted<Accounts>;
  // Every member below; snapshots hold exactly these.
  template <class Archive>
  void Members(Archive& ar) {
    ar(rows_, slots_, index_, by_code_, grams_, by_name_, by_key_, keys_of_);
  }
  void Restored() {
    for (size_t i = 0; i < slots_.size(); ++i) slots_[i].row = &rows_[i];
  }
  // The slots a search for `words` (folded) need check, in creation order:
  // those listed under its rarest trigram; nullopt for every slot (no word
  // has a trigram rare enough). REQUIRES: mutex() held.
  std::optional<std::vector<uint32_t>> Candidates(const std::vector<std::string>& words) const;
  // The slots matching `query`, in creation order. REQUIRES: mutex() held.
  std::vector<const Slot*> Match(const AccountQuery& query) const;
  // All GUARDED_BY(mutex()).
  std::deque<AccountRow> rows_;                           // creation order; stable addresses
  std::vector<Slot> slots_;                               // rows_[i] <-> slots_[i]
  std::unordered_map<std::string, size_t> index_;         // id -> position
  std::unordered_map<std::string, std::string> by_code_;  // code -> id
  // Search: trigram of folded text -> slots whose text had it (appended, so
  // in slot order per addition; possibly stale, never missing one).
  std::unordered_map<uint32_t, std::vector<uint32_t>> grams_;
  // The default order: (folded name, slot), so a page sorted by name does not
  // order every row.
  std::set<std::pair<std::string, uint32_t>> by_name_;
  // Duplicate detection: "fiscal:…", "email:…", "phone:…", "name:…" -> ids
  // of unarchived accounts with that value; and each account's keys.
  std::unordered_map<std::string, std::set<std::string>> by_key_;
  std::unordered_map<std::string, std::vector<std::string>> keys_of_;
  void Rekey(const AccountRow& row);  // REQUIRES: mutex() held exclusively
};

// The value of `field` ("name", "vat_payer", "code", "folder_id", "owner_id",
// "custom.<key>", …) in `row`, as text; "" when unset. Valid while `row` is.
std::string_view FieldValue(const AccountRow& row, std::string_view field);

}  // namespace crm::projections
