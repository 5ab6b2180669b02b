#include "projections/accounts.h"

#include <algorithm>
#include <mutex>

#include "domain/accounts/account.h"
#include "domain/accounts/normalize.h"
#include "domain/event_codec.h"

namespace crm::projections {

namespace {

void Index(AccountRow* row) {
  std::string all = row->code;
  for (const char* field : {"name", "fiscal_code", "email", "phone", "mobile", "city"}) {
    auto it = row->text.find(field);
    if (it != row->text.end()) all += " " + it->second;
  }
  for (const auto& [id, contact] : row->contacts) {
    for (const char* field : {"first_name", "last_name"}) {
      auto it = contact.find(field);
      if (it != contact.end()) all += " " + it->second;
    }
  }
  row->search = accounts::FoldText(all);
}

}  // namespace

std::string_view FieldValue(const AccountRow& row, std::string_view field) {
  if (field == "code") return row.code;
  if (field == "folder_id") return row.folder_id;
  if (field == "owner_id") return row.owner_id;
  if (field == "vat_payer") return row.vat_payer ? "true" : "false";
  const bool custom = field.starts_with("custom.");
  const auto& values = custom ? row.custom : row.text;
  auto it = values.find(std::string(custom ? field.substr(7) : field));
  return it == values.end() ? std::string_view() : std::string_view(it->second);
}

void Accounts::Apply(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  const std::string_view stream = env.stream()->string_view();
  if (!stream.starts_with("account-") || stream.starts_with("account-code-")) return;
  auto decoded = domain::EventDecoder<accounts::Account::Event>::Decode(
      env.type()->string_view(), {env.payload()->data(), env.payload()->size()});
  if (!decoded) return;
  const std::string id(stream.substr(8));
  auto [at, added] = index_.emplace(id, rows_.size());
  if (added) {
    rows_.emplace_back();
    slots_.push_back({&rows_.back(), "", "", false});
  }
  AccountRow& row = rows_[at->second];
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, accounts::AccountCreatedT>) {
          row.id = id;
          row.code = e.code;
          row.folder_id = e.folder_id;
          row.owner_id = e.owner_id;
          row.created_at_us = env.recorded_at_us();
          by_code_[e.code] = id;
        }
      },
      *decoded);
  // The aggregate's own fold keeps the fields; the row mirrors it.
  accounts::Account::State state;
  state.exists = true;
  state.text = row.text;
  state.vat_payer = row.vat_payer;
  state.custom = row.custom;
  state.contacts = std::move(row.contacts);
  state.folder_id = row.folder_id;
  state.owner_id = row.owner_id;
  state.archived = row.archived;
  state.merged_into = row.merged_into;
  state = accounts::Account::Evolve(std::move(state), *decoded);
  row.text = std::move(state.text);
  row.vat_payer = state.vat_payer;
  row.custom = std::move(state.custom);
  row.contacts = std::move(state.contacts);
  row.folder_id = state.folder_id;
  row.owner_id = state.owner_id;
  row.archived = state.archived;
  row.merged_into = std::move(state.merged_into);
  row.version = env.version();
  row.updated_at_us = env.recorded_at_us();
  Index(&row);
  Rekey(row);
  Slot& slot = slots_[at->second];
  slot.search = row.search;
  slot.folder_id = row.folder_id;
  slot.archived = row.archived || !row.merged_into.empty();
}

std::optional<AccountRow> Accounts::Get(const std::string& id) const {
  std::shared_lock lock(mutex());
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return rows_[it->second];
}

std::string Accounts::IdByCode(const std::string& code) const {
  std::shared_lock lock(mutex());
  auto it = by_code_.find(code);
  return it == by_code_.end() ? "" : it->second;
}

std::string Accounts::IdByFiscalCode(const std::string& fiscal_code) const {
  std::shared_lock lock(mutex());
  auto it = by_key_.find("fiscal:" + fiscal_code);
  return it == by_key_.end() || it->second.empty() ? "" : *it->second.begin();
}

std::vector<const AccountRow*> Accounts::Match(const AccountQuery& query) const {
  std::vector<std::string> words;
  const std::string folded = accounts::FoldText(query.q);
  for (size_t start = 0; start < folded.size();) {
    const size_t end = std::min(folded.find(' ', start), folded.size());
    if (end > start) words.push_back(folded.substr(start, end - start));
    start = end + 1;
  }
  std::vector<const AccountRow*> out;
  for (const Slot& slot : slots_) {
    if (slot.archived && !query.include_archived) continue;
    if (query.folders && !query.folders->count(slot.folder_id)) continue;
    bool match = true;
    for (const auto& w : words) match = match && slot.search.find(w) != std::string::npos;
    for (const auto& [field, value] : query.equals) {
      match = match && FieldValue(*slot.row, field) == value;
    }
    if (match) out.push_back(slot.row);
  }
  return out;
}

Accounts::Page Accounts::Query(const AccountQuery& query,
                               const std::vector<std::pair<std::string, bool>>& sort, size_t offset,
                               size_t limit) const {
  std::shared_lock lock(mutex());
  std::vector<const AccountRow*> matches = Match(query);
  if (!sort.empty()) {
    // Sort keys computed once per row, not once per comparison.
    std::vector<std::pair<std::vector<std::string>, const AccountRow*>> keyed;
    keyed.reserve(matches.size());
    for (const AccountRow* row : matches) {
      std::vector<std::string> key;
      for (const auto& [field, descending] : sort) {
        key.push_back(field == "created_at"   ? std::to_string(row->created_at_us)
                      : field == "updated_at" ? std::to_string(row->updated_at_us)
                                              : accounts::FoldText(FieldValue(*row, field)));
      }
      keyed.emplace_back(std::move(key), row);
    }
    std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
      for (size_t i = 0; i < sort.size(); ++i) {
        if (a.first[i] == b.first[i]) continue;
        return sort[i].second ? b.first[i] < a.first[i] : a.first[i] < b.first[i];
      }
      return false;
    });
    for (size_t i = 0; i < keyed.size(); ++i) matches[i] = keyed[i].second;
  }
  Page page;
  page.total = matches.size();
  for (size_t i = offset; i < matches.size() && i < offset + limit; ++i) {
    page.rows.push_back(*matches[i]);
  }
  return page;
}

namespace {

// Weight of each reason in a duplicate's score.
int Weight(std::string_view reason) {
  if (reason == "same_fiscal_code") return 90;
  if (reason == "same_email" || reason == "same_phone") return 50;
  return 40;  // same_name
}

std::string ReasonOf(std::string_view key) {
  if (key.starts_with("fiscal:")) return "same_fiscal_code";
  if (key.starts_with("email:")) return "same_email";
  if (key.starts_with("phone:")) return "same_phone";
  return "same_name";
}

// The candidates in `found` with their reasons made unique and scored, best first.
template <class Key>
std::vector<Accounts::Duplicate> Scored(std::map<Key, Accounts::Duplicate>& found) {
  std::vector<Accounts::Duplicate> out;
  for (auto& [key, d] : found) {
    std::sort(d.reasons.begin(), d.reasons.end());
    d.reasons.erase(std::unique(d.reasons.begin(), d.reasons.end()), d.reasons.end());
    for (const auto& r : d.reasons) d.score += Weight(r);
    d.score = std::min(d.score, 100);
    out.push_back(std::move(d));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.score > b.score; });
  return out;
}

}  // namespace

void Accounts::Rekey(const AccountRow& row) {
  for (const std::string& key : keys_of_[row.id]) {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) continue;
    it->second.erase(row.id);
    if (it->second.empty()) by_key_.erase(it);
  }
  std::vector<std::string> keys;
  if (!row.archived && row.merged_into.empty()) {
    auto add = [&](const char* prefix, std::string_view value) {
      if (!value.empty()) keys.push_back(prefix + std::string(value));
    };
    add("fiscal:", FieldValue(row, "fiscal_code"));
    add("email:", FieldValue(row, "email"));
    add("phone:", FieldValue(row, "phone"));
    add("phone:", FieldValue(row, "mobile"));
    add("name:", accounts::NameKey(FieldValue(row, "name")));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  for (const std::string& key : keys) by_key_[key].insert(row.id);
  keys_of_[row.id] = std::move(keys);
}

std::vector<Accounts::Duplicate> Accounts::DuplicatesOf(const std::string& id) const {
  std::shared_lock lock(mutex());
  std::map<std::string, Duplicate> found;
  auto keys = keys_of_.find(id);
  if (keys == keys_of_.end()) return {};
  for (const std::string& key : keys->second) {
    for (const std::string& other : by_key_.at(key)) {
      if (other == id) continue;
      Duplicate& d = found[other];
      d.ids = {std::min(id, other), std::max(id, other)};
      d.reasons.push_back(ReasonOf(key));
    }
  }
  return Scored(found);
}

std::vector<Accounts::Duplicate> Accounts::AllDuplicates(size_t limit) const {
  std::shared_lock lock(mutex());
  std::map<std::pair<std::string, std::string>, Duplicate> pairs;
  for (const auto& [key, ids] : by_key_) {
    if (ids.size() < 2 || ids.size() > 50) continue;  // a value shared by many is no evidence
    for (auto a = ids.begin(); a != ids.end(); ++a) {
      for (auto b = std::next(a); b != ids.end(); ++b) {
        Duplicate& d = pairs[{*a, *b}];
        d.ids = {*a, *b};
        d.reasons.push_back(ReasonOf(key));
      }
    }
  }
  std::vector<Duplicate> out = Scored(pairs);
  if (out.size() > limit) out.resize(limit);
  return out;
}

std::map<std::string, size_t> Accounts::CountsByFolder() const {
  std::shared_lock lock(mutex());
  std::map<std::string, size_t> counts;
  for (const Slot& slot : slots_) {
    if (!slot.archived) ++counts[slot.folder_id];
  }
  return counts;
}

}  // namespace crm::projections
