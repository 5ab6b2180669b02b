#include "projections/accounts.h"

#include <algorithm>
#include <mutex>

#include "domain/accounts/account.h"
#include "domain/accounts/normalize.h"
#include "domain/event_codec.h"
#include "domain/time.h"
#include "projections/query.h"

namespace crm::projections {

namespace {

// The name's place in Slot::folded (kAccountTextFields order).
constexpr size_t kNameIndex = 0;
static_assert(std::string_view(accounts::kAccountTextFields[kNameIndex]) == "name");

// The distinct byte trigrams of `text`, sorted.
std::vector<uint32_t> Trigrams(std::string_view text) {
  std::vector<uint32_t> out;
  if (text.size() < 3) return out;
  out.reserve(text.size() - 2);
  for (size_t i = 0; i + 3 <= text.size(); ++i) {
    out.push_back(static_cast<uint32_t>(static_cast<unsigned char>(text[i])) |
                  static_cast<uint32_t>(static_cast<unsigned char>(text[i + 1])) << 8 |
                  static_cast<uint32_t>(static_cast<unsigned char>(text[i + 2])) << 16);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The position of `field` in kAccountTextFields, or -1.
int TextFieldIndex(std::string_view field) {
  for (size_t i = 0; i < std::size(accounts::kAccountTextFields); ++i) {
    if (field == accounts::kAccountTextFields[i]) return static_cast<int>(i);
  }
  return -1;
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
    slots_.push_back({&rows_.back(), "", "", "", false, {}});
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
  const size_t contacts_before = state.contacts.size();
  state = accounts::Account::Evolve(std::move(state), *decoded);
  // What the indexes below are made of: most events (a contact added, a
  // reassignment) change none of it, and replay skips their work.
  const bool keys_changed = added || state.text != row.text || state.archived != row.archived ||
                            state.merged_into != row.merged_into;
  const bool names_changed = keys_changed || state.contacts.size() != contacts_before ||
                             std::holds_alternative<accounts::ContactChangedT>(*decoded);
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
  if (keys_changed) Rekey(row);
  Slot& slot = slots_[at->second];
  slot.folder_id = row.folder_id;
  slot.owner_id = row.owner_id;
  slot.archived = row.archived || !row.merged_into.empty();
  if (!names_changed) return;
  const bool indexed = !slot.folded.empty();
  std::string old_name = indexed ? slot.folded[kNameIndex] : std::string();
  slot.folded.resize(std::size(accounts::kAccountTextFields));
  for (size_t i = 0; i < slot.folded.size(); ++i) {
    slot.folded[i] = accounts::FoldText(FieldValue(row, accounts::kAccountTextFields[i]));
  }
  // The searched text, from the fields folded once above (folding works per
  // character, so the pieces fold as the whole would).
  std::string search = accounts::FoldText(row.code);
  for (const char* field : {"name", "fiscal_code", "email", "phone", "mobile", "city"}) {
    search += ' ';
    search += slot.folded[TextFieldIndex(field)];
  }
  for (const auto& [id, contact] : row.contacts) {
    for (const char* field : {"first_name", "last_name"}) {
      auto it = contact.find(field);
      if (it != contact.end()) search += " " + accounts::FoldText(it->second);
    }
  }
  if (slot.search != search) {
    // Posting lists only grow: a trigram the text lost stays listed, and the
    // scan's check drops the row. New trigrams are appended.
    const std::vector<uint32_t> before = Trigrams(slot.search), after = Trigrams(search);
    std::vector<uint32_t> added;
    std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                        std::back_inserter(added));
    for (uint32_t gram : added) grams_[gram].push_back(static_cast<uint32_t>(at->second));
    slot.search = std::move(search);
  }
  if (!indexed || old_name != slot.folded[kNameIndex]) {
    const auto at_slot = static_cast<uint32_t>(at->second);
    if (indexed) by_name_.erase({std::move(old_name), at_slot});
    by_name_.emplace(slot.folded[kNameIndex], at_slot);
  }
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

std::string Accounts::NameOf(const std::string& id) const {
  std::shared_lock lock(mutex());
  auto it = index_.find(id);
  if (it == index_.end()) return "";
  auto name = rows_[it->second].text.find("name");
  return name == rows_[it->second].text.end() ? "" : name->second;
}

std::unordered_set<std::string> Accounts::IdsNamed(const std::vector<std::string>& words) const {
  std::shared_lock lock(mutex());
  std::unordered_set<std::string> out;
  if (words.empty()) return out;
  const auto candidates = Candidates(words);
  const size_t count = candidates ? candidates->size() : slots_.size();
  for (size_t c = 0; c < count; ++c) {
    const Slot& slot = slots_[candidates ? (*candidates)[c] : c];
    if (slot.folded.empty()) continue;
    const std::string& name = slot.folded[kNameIndex];
    if (std::all_of(words.begin(), words.end(),
                    [&](const std::string& w) { return name.find(w) != std::string::npos; })) {
      out.insert(slot.row->id);
    }
  }
  return out;
}

std::string Accounts::IdByFiscalCode(const std::string& fiscal_code) const {
  std::shared_lock lock(mutex());
  auto it = by_key_.find("fiscal:" + fiscal_code);
  return it == by_key_.end() || it->second.empty() ? "" : *it->second.begin();
}

namespace {}  // namespace

std::optional<std::vector<uint32_t>> Accounts::Candidates(
    const std::vector<std::string>& words) const {
  // With a word of three or more bytes, only the slots listed under its
  // rarest trigram can match; without one (or when even the rarest is
  // common) every slot is checked.
  const std::vector<uint32_t>* rarest = nullptr;
  for (const auto& w : words) {
    for (uint32_t gram : Trigrams(w)) {
      auto it = grams_.find(gram);
      if (it == grams_.end()) return std::vector<uint32_t>();  // no slot ever held it
      if (!rarest || it->second.size() < rarest->size()) rarest = &it->second;
    }
  }
  if (!rarest || rarest->size() >= slots_.size() / 4) return std::nullopt;
  std::vector<uint32_t> candidates = *rarest;
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  return candidates;
}

std::vector<const Accounts::Slot*> Accounts::Match(const AccountQuery& query) const {
  const std::vector<std::string> words = SearchWords(query.q);
  // Each filter resolved once: a text field compares its folded slot value.
  // Any of its values matches; text and custom fields compare folded.
  struct Equals {
    int text_index;
    std::string field;
    std::vector<std::string> values;
    bool folded;
    bool Has(std::string_view v) const {
      for (const std::string& value : values) {
        if (value.size() == v.size() && std::string_view(value) == v) return true;
      }
      return false;
    }
  };
  std::vector<Equals> equals;
  for (const auto& [field, values] : query.equals) {
    const int i = TextFieldIndex(field);
    Equals e{i, field, values, i >= 0 || field.starts_with("custom.")};
    if (e.folded) {
      for (auto& v : e.values) v = accounts::FoldText(v);
    }
    equals.push_back(std::move(e));
  }
  const std::vector<RangeCheck> ranges = RangeChecks(query.ranges);
  const auto candidates = Candidates(words);
  std::vector<const Slot*> out;
  const size_t count = candidates ? candidates->size() : slots_.size();
  for (size_t c = 0; c < count; ++c) {
    const Slot& slot = slots_[candidates ? (*candidates)[c] : c];
    if (slot.archived && !query.include_archived) continue;
    if (query.folders && !query.folders->count(slot.folder_id)) continue;
    bool match = true;
    for (const auto& w : words) match = match && slot.search.find(w) != std::string::npos;
    for (const Equals& e : equals) {
      if (!match) break;
      if (e.text_index >= 0) {
        match = e.Has(slot.folded[e.text_index]);
      } else if (e.field == "owner_id") {
        match = e.Has(slot.owner_id);
      } else if (e.field == "folder_id") {
        match = e.Has(slot.folder_id);
      } else if (e.folded) {
        match = e.Has(accounts::FoldText(FieldValue(*slot.row, e.field)));
      } else {
        match = e.Has(FieldValue(*slot.row, e.field));
      }
    }
    match = match && InRanges(ranges, *slot.row, FieldValue, Times<AccountRow>);
    if (match) out.push_back(&slot);
  }
  return out;
}

Accounts::Page Accounts::Query(const AccountQuery& query,
                               const std::vector<std::pair<std::string, bool>>& sort, size_t offset,
                               size_t limit) const {
  std::shared_lock lock(mutex());
  std::vector<const Slot*> matches = Match(query);
  const size_t end = std::min(matches.size(), offset + std::min(limit, matches.size()));
  if (sort.size() == 1 && sort[0].first == "name" && matches.size() > 2000 &&
      offset < matches.size()) {
    // The default order, over many rows: walk the name index (ties in
    // creation order either way) and keep the matching rows up to the
    // page's end, instead of ordering every match.
    std::vector<char> matched(slots_.size(), 0);
    for (const Slot* slot : matches) matched[static_cast<size_t>(slot - slots_.data())] = 1;
    std::vector<const Slot*> sorted;
    sorted.reserve(end);
    auto take = [&](uint32_t index) {
      if (matched[index] && sorted.size() < end) sorted.push_back(&slots_[index]);
    };
    if (!sort[0].second) {
      for (auto it = by_name_.begin(); it != by_name_.end() && sorted.size() < end; ++it) {
        take(it->second);
      }
    } else {
      std::vector<uint32_t> run;  // one name's slots, ascending
      for (auto it = by_name_.rbegin(); it != by_name_.rend() && sorted.size() < end;) {
        run.clear();
        const std::string& name = it->first;
        for (; it != by_name_.rend() && it->first == name; ++it) run.push_back(it->second);
        for (auto r = run.rbegin(); r != run.rend(); ++r) take(*r);
      }
    }
    std::copy(sorted.begin(), sorted.end(), matches.begin());
  } else if (!sort.empty() && offset < matches.size()) {
    // Keys made once per row (folded text comes from the slot), in flat
    // arrays (row r's key i at r * width + i); then only the rows up to the
    // page's end are put in order.
    const size_t width = sort.size();
    std::vector<std::string_view> text(matches.size() * width);
    std::vector<int64_t> number(matches.size() * width, 0);
    std::deque<std::string> owned;  // folded values not kept in slots
    for (size_t i = 0; i < width; ++i) {
      const std::string& field = sort[i].first;
      const int index = TextFieldIndex(field);
      for (size_t r = 0; r < matches.size(); ++r) {
        const Slot& slot = *matches[r];
        if (field == "created_at" || field == "updated_at") {
          number[r * width + i] =
              field == "created_at" ? slot.row->created_at_us : slot.row->updated_at_us;
        } else if (index >= 0) {
          text[r * width + i] = slot.folded[index];
        } else {
          text[r * width + i] =
              owned.emplace_back(accounts::FoldText(FieldValue(*slot.row, field)));
        }
      }
    }
    std::vector<uint32_t> order(matches.size());
    for (size_t r = 0; r < order.size(); ++r) order[r] = static_cast<uint32_t>(r);
    auto before = [&](uint32_t a, uint32_t b) {
      for (size_t i = 0; i < width; ++i) {
        const size_t ka = a * width + i, kb = b * width + i;
        const int c = number[ka] != number[kb] ? (number[ka] < number[kb] ? -1 : 1)
                                               : text[ka].compare(text[kb]);
        if (c != 0) return sort[i].second ? c > 0 : c < 0;
      }
      return a < b;  // ties keep creation order
    };
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(end), order.end(),
                      before);
    std::vector<const Slot*> sorted(end);
    for (size_t i = 0; i < end; ++i) sorted[i] = matches[order[i]];
    std::copy(sorted.begin(), sorted.end(), matches.begin());
  }
  Page page;
  page.total = matches.size();
  for (size_t i = offset; i < end; ++i) page.rows.push_back(*matches[i]->row);
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
