#pragma once

// The products catalogue as lists read it: every product with its current
// fields, and the category tree (for names, paths and "in this category or
// below" filters).

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/catalog/category.h"
#include "domain/catalog/product.h"
#include "projections/projection.h"

namespace crm::projections {

struct ProductRow {
  std::string id;
  catalog::Product::State state;  // the aggregate's own fold
  uint64_t version = 0;
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
  std::string search;  // folded code, name and description
};

template <class Archive>
void Fields(Archive& ar, catalog::Product::State& state) {
  auto& [exists, archived, code, name, description, category_id, unit, price_minor, currency,
         vat_rate_key, active, custom] = state;
  ar(exists, archived, code, name, description, category_id, unit, price_minor, currency,
     vat_rate_key, active, custom);
}

template <class Archive>
void Fields(Archive& ar, ProductRow& row) {
  auto& [id, state, version, created_at_us, updated_at_us, search] = row;
  ar(id, state, version, created_at_us, updated_at_us, search);
}

template <class Archive>
void Fields(Archive& ar, domain::Text& text) {
  auto& [ro, en] = text;
  ar(ro, en);
}

template <class Archive>
void Fields(Archive& ar, catalog::ProductCategories::Node& node) {
  auto& [parent_id, name] = node;
  ar(parent_id, name);
}

template <class Archive>
void Fields(Archive& ar, catalog::ProductCategories::State& state) {
  ar(state.nodes);
}

struct ProductQuery {
  std::string q;                              // every word in the folded code, name, description
  std::vector<std::string> categories;        // any of these (a category and those below it)
  std::map<std::string, std::string> equals;  // unit, currency, vat_rate_key, custom.<key>
  std::optional<bool> active;
  std::optional<int64_t> price_from, price_to;  // minor units, inclusive
  bool include_archived = false;
};

class Products final : public Snapshotted<Products> {
 public:
  std::string_view Name() const override { return "products"; }
  void Apply(const eventstore::RecordedEvent& event) override;
  std::unique_ptr<Projection> Fresh() const override { return std::make_unique<Products>(); }

  std::optional<ProductRow> Get(const std::string& id) const;
  struct Page {
    size_t total = 0;
    std::vector<ProductRow> rows;
  };
  // Sorted by `sort` (field, descending: code, name, price, unit, currency,
  // vat_rate_key, category, created_at, updated_at), ties by creation.
  Page Query(const ProductQuery& query, const std::vector<std::pair<std::string, bool>>& sort,
             size_t offset, size_t limit) const;
  // Whether any product (archived ones too) is in category `id`.
  bool CategoryInUse(const std::string& id) const;
  // The VAT rate keys products (archived ones too) name, sorted.
  std::set<std::string> VatKeysInUse() const;
  catalog::ProductCategories::State Categories() const;
  // "Parent / Child" names of category `id` (Romanian); "" when unknown.
  std::string CategoryPath(const std::string& id) const;

 private:
  friend class Snapshotted<Products>;
  // Every member below; snapshots hold exactly these.
  template <class Archive>
  void Members(Archive& ar) {
    ar(rows_, index_, categories_);
  }
  std::string PathLocked(const std::string& id) const;

  std::deque<ProductRow> rows_;                    // GUARDED_BY(mutex()), creation order
  std::unordered_map<std::string, size_t> index_;  // GUARDED_BY(mutex())
  catalog::ProductCategories::State categories_ = catalog::ProductCategories::Initial();
};

}  // namespace crm::projections
