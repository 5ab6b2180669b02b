#include "projections/products.h"

#include <algorithm>
#include <mutex>

#include "domain/accounts/normalize.h"
#include "domain/event_codec.h"
#include "projections/query.h"

namespace crm::projections {

void Products::Apply(const eventstore::RecordedEvent& event) {
  const auto& env = *event.envelope;
  const std::string_view stream = env.stream()->string_view();
  const std::span<const uint8_t> payload{env.payload()->data(), env.payload()->size()};
  if (stream == catalog::kCategoriesStream) {
    auto decoded = domain::EventDecoder<catalog::ProductCategories::Event>::Decode(
        env.type()->string_view(), payload);
    if (decoded) {
      categories_ = catalog::ProductCategories::Evolve(std::move(categories_), *decoded);
    }
    return;
  }
  if (!stream.starts_with("product-")) return;
  auto decoded =
      domain::EventDecoder<catalog::Product::Event>::Decode(env.type()->string_view(), payload);
  if (!decoded) return;  // the units list, the code claims
  const std::string id(stream.substr(8));
  auto [at, added] = index_.emplace(id, rows_.size());
  if (added) {
    rows_.emplace_back();
    rows_.back().id = id;
    rows_.back().created_at_us = env.recorded_at_us();
  }
  ProductRow& row = rows_[at->second];
  row.state = catalog::Product::Evolve(std::move(row.state), *decoded);
  row.version = env.version();
  row.updated_at_us = env.recorded_at_us();
  row.search =
      accounts::FoldText(row.state.code + " " + row.state.name + " " + row.state.description);
}

std::optional<ProductRow> Products::Get(const std::string& id) const {
  std::shared_lock lock(mutex());
  auto it = index_.find(id);
  if (it == index_.end()) return std::nullopt;
  return rows_[it->second];
}

namespace {

std::string_view TextField(const catalog::Product::State& p, const std::string& field) {
  if (field == "code") return p.code;
  if (field == "name") return p.name;
  if (field == "unit") return p.unit;
  if (field == "currency") return p.currency;
  if (field == "vat_rate_key") return p.vat_rate_key;
  if (field == "category_id") return p.category_id;
  if (field.starts_with("custom.")) {
    auto it = p.custom.find(field.substr(7));
    return it == p.custom.end() ? std::string_view() : std::string_view(it->second);
  }
  return {};
}

}  // namespace

Products::Page Products::Query(const ProductQuery& query,
                               const std::vector<std::pair<std::string, bool>>& sort, size_t offset,
                               size_t limit) const {
  std::shared_lock lock(mutex());
  const std::vector<std::string> words = SearchWords(query.q);
  std::vector<const ProductRow*> matches;
  for (const ProductRow& row : rows_) {
    const catalog::Product::State& p = row.state;
    if (!p.exists || (p.archived && !query.include_archived)) continue;
    if (query.active && p.active != *query.active) continue;
    if (query.price_from && p.price_minor < *query.price_from) continue;
    if (query.price_to && p.price_minor > *query.price_to) continue;
    if (!query.categories.empty() && std::find(query.categories.begin(), query.categories.end(),
                                               p.category_id) == query.categories.end()) {
      continue;
    }
    bool match = true;
    for (const auto& w : words) match = match && row.search.find(w) != std::string::npos;
    for (const auto& [field, value] : query.equals) {
      match = match && accounts::FoldText(TextField(p, field)) == accounts::FoldText(value);
    }
    if (match) matches.push_back(&row);
  }
  SortRows(
      &matches, sort,
      [this](const ProductRow& row, const std::string& field) {
        if (field == "created_at") return NumberKey(row.created_at_us);
        if (field == "updated_at") return NumberKey(row.updated_at_us);
        if (field == "price") return NumberKey(row.state.price_minor);
        if (field == "category") return accounts::FoldText(PathLocked(row.state.category_id));
        return accounts::FoldText(TextField(row.state, field));
      },
      limit > SIZE_MAX - offset ? SIZE_MAX : offset + limit);
  Page page;
  page.total = matches.size();
  for (size_t i = offset; i < matches.size() && i < offset + limit; ++i) {
    page.rows.push_back(*matches[i]);
  }
  return page;
}

bool Products::CategoryInUse(const std::string& id) const {
  std::shared_lock lock(mutex());
  return std::any_of(rows_.begin(), rows_.end(),
                     [&](const ProductRow& row) { return row.state.category_id == id; });
}

std::set<std::string> Products::VatKeysInUse() const {
  std::shared_lock lock(mutex());
  std::set<std::string> keys;
  for (const ProductRow& row : rows_) {
    if (row.state.exists) keys.insert(row.state.vat_rate_key);
  }
  return keys;
}

catalog::ProductCategories::State Products::Categories() const {
  std::shared_lock lock(mutex());
  return categories_;
}

std::string Products::CategoryPath(const std::string& id) const {
  std::shared_lock lock(mutex());
  return PathLocked(id);
}

std::string Products::PathLocked(const std::string& id) const {
  std::string path;
  std::string at = id;
  for (int hops = 0; hops <= catalog::kMaxCategoryDepth && !at.empty(); ++hops) {
    auto it = categories_.nodes.find(at);
    if (it == categories_.nodes.end()) break;
    path = it->second.name.ro + (path.empty() ? "" : " / " + path);
    at = it->second.parent_id;
  }
  return path;
}

}  // namespace crm::projections
