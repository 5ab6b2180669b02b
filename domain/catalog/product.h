#pragma once

// A product or service of the catalogue (stream "product-<id>"): a code
// unique among products, a name, a category, a unit from the units list
// (stream "product-units"), a price in integer minor units with its
// currency, a VAT rate named by its key in the VAT table, and custom values
// of the entity "product". The commands carry what exists elsewhere (the
// categories, units, VAT keys and custom fields), so the decider stays pure.

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "domain/accounts/account.h"
#include "domain/decider.h"
#include "domain/sales/type_list.h"
#include "schemas/products_generated.h"

namespace crm::catalog {

// The units list, users extend (TypeList, like note types).
inline constexpr const char* kProductUnitsStream = "product-units";
// buc, kg, m, m2, l, h, zi, luna, an, set.
std::vector<sales::TypeDef> DefaultProductUnits();
inline constexpr char kProductUnitExists[] = "product_unit_exists";
using ProductUnits = sales::TypeList<ProductUnitAddedT, DefaultProductUnits, kProductUnitExists>;

// What create and change commands set; unset members stay as they are (a
// merge patch). `price` is a decimal string with at most two decimals.
struct ProductInput {
  std::optional<std::string> code, name, description, category_id, unit, price, currency,
      vat_rate_key;
  std::optional<bool> active;
  std::map<std::string, std::string> custom;  // by key; "" clears
};

// What the values are checked against, read by the caller. A reference is
// checked when it is set or changed, so a product whose VAT key left the
// table still changes its other fields.
struct ProductRefs {
  std::vector<std::string> category_ids;   // the categories that exist
  std::vector<std::string> units;          // the units list's keys
  std::vector<std::string> vat_rate_keys;  // the VAT table's keys
  // Entity "product": required fields (standard names or "custom.<key>")
  // and custom field definitions. `unique` is not used: the code is a
  // product's one unique value.
  accounts::AccountRules rules;
};

// Absent members: code, name and unit are required; the description and
// category are empty, the price 0, the currency "RON", the VAT rate
// "standard", the product active.
struct CreateProduct {
  std::string product_id;
  ProductInput input;
  ProductRefs refs;
};
struct ChangeProduct {
  ProductInput input;
  ProductRefs refs;
};
struct ArchiveProduct {};
struct RestoreProduct {};

struct Product {
  struct State {
    bool exists = false;
    bool archived = false;
    std::string code, name, description, category_id, unit;
    int64_t price_minor = 0;
    std::string currency = "RON";
    std::string vat_rate_key = "standard";
    bool active = true;
    std::map<std::string, std::string> custom;
  };
  using Command = std::variant<CreateProduct, ChangeProduct, ArchiveProduct, RestoreProduct>;
  using Event = std::variant<ProductCreatedT, ProductChangedT, ProductArchivedT, ProductRestoredT>;

  static State Initial() { return {}; }
  static domain::Decision<Event> Decide(const State& state, const Command& command,
                                        const domain::Context& ctx);
  static State Evolve(State state, const Event& event);
};

inline constexpr size_t kMaxProductCodeLength = 50;
inline constexpr size_t kMaxProductNameLength = 200;
inline constexpr size_t kMaxProductDescriptionLength = 10000;

inline std::string ProductStream(const std::string& id) { return "product-" + id; }
// The claim stream of a product code: "product-code-" and the code folded
// (case and diacritics ignored), so "AB-1" and "ab-1" are one code.
std::string ProductCodeClaim(const std::string& code);

// The unique values of a product, by claim stream (for Transact's `unique`):
// its code, enforced, rejected with `product_code_taken` (409) when another
// product holds it. An archived product has none: archiving releases the
// code, restoring takes it again.
std::map<std::string, domain::UniqueValue> ProductClaims(const Product::State& state);

}  // namespace crm::catalog
