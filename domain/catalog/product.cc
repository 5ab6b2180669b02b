#include "domain/catalog/product.h"

#include <algorithm>

#include "domain/accounts/normalize.h"
#include "domain/money.h"
#include "domain/settings/custom_fields.h"

namespace crm::catalog {

namespace {

using domain::FieldError;
using domain::Reject;
using Events = std::vector<Product::Event>;

template <class... F>
struct Overload : F... {
  using F::operator()...;
};
template <class... F>
Overload(F...) -> Overload<F...>;

domain::Rejection NoSuchProduct() {
  return Reject("product_not_found", "Produsul nu există.", "No such product.", 404);
}

domain::Rejection Archived() {
  return Reject("product_archived", "Produsul este arhivat; restaurați-l întâi.",
                "The product is archived; restore it first.", 409);
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::string Trimmed(const std::string& s) {
  const size_t first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// The state after `input`, with the names of what changed; errors collected.
// `creating`: every value given is checked, also one equal to the initial
// state's; otherwise references are checked only when they change.
// The fields ProductCreated and ProductChanged both carry, as `s` has them.
template <class E>
void SetFields(const Product::State& s, E* e) {
  e->code = s.code;
  e->name = s.name;
  e->description = s.description;
  e->category_id = s.category_id;
  e->unit = s.unit;
  e->price_minor = s.price_minor;
  e->currency = s.currency;
  e->vat_rate_key = s.vat_rate_key;
  e->active = s.active;
}

struct Applied {
  Product::State state;
  std::vector<std::string> changed;
  std::map<std::string, std::string> custom_changed;
};
Applied Apply(const Product::State& before, const ProductInput& input, const ProductRefs& refs,
              bool creating, std::vector<FieldError>* errors) {
  Applied out{before, {}, {}};
  Product::State& s = out.state;
  auto error = [&](const char* field, const char* code, std::string ro, std::string en) {
    errors->push_back({field, code, {std::move(ro), std::move(en)}});
  };
  auto set = [&](const char* field, const std::string& value, std::string* into) {
    if (value != *into) {
      *into = value;
      out.changed.push_back(field);
    }
  };

  if (input.code) {
    const std::string code = Trimmed(*input.code);
    const bool printable = std::all_of(code.begin(), code.end(),
                                       [](unsigned char c) { return c >= 0x20 && c != 0x7f; });
    if (code.empty()) {
      error("code", "required", "Codul este obligatoriu.", "A code is required.");
    } else if (accounts::Utf8Length(code) > kMaxProductCodeLength) {
      error("code", "too_long", "Codul are cel mult 50 de caractere.",
            "The code has at most 50 characters.");
    } else if (!printable) {
      error("code", "invalid_code", "Codul are doar caractere tipăribile.",
            "The code has printable characters only.");
    } else {
      set("code", code, &s.code);
    }
  }
  if (input.name) {
    if (Trimmed(*input.name).empty()) {
      error("name", "required", "Numele este obligatoriu.", "A name is required.");
    } else if (accounts::Utf8Length(*input.name) > kMaxProductNameLength) {
      error("name", "too_long", "Numele are cel mult 200 de caractere.",
            "The name has at most 200 characters.");
    } else {
      set("name", *input.name, &s.name);
    }
  }
  if (input.description) {
    if (accounts::Utf8Length(*input.description) > kMaxProductDescriptionLength) {
      error("description", "too_long", "Textul este prea lung.", "The text is too long.");
    } else {
      set("description", *input.description, &s.description);
    }
  }
  if (input.category_id && (creating || *input.category_id != s.category_id)) {
    if (!input.category_id->empty() && !Contains(refs.category_ids, *input.category_id)) {
      error("category_id", "unknown_category", "Categoria nu există.", "No such category.");
    } else {
      set("category_id", *input.category_id, &s.category_id);
    }
  }
  if (input.unit && (creating || *input.unit != s.unit)) {
    if (input.unit->empty()) {
      error("unit", "required", "Unitatea de măsură este obligatorie.", "A unit is required.");
    } else if (!Contains(refs.units, *input.unit)) {
      error("unit", "unknown_unit", "Unitatea de măsură „" + *input.unit + "” nu este în listă.",
            "The unit '" + *input.unit + "' is not in the list.");
    } else {
      set("unit", *input.unit, &s.unit);
    }
  }
  if (input.price) {
    if (auto minor = domain::ParseMoney(*input.price)) {
      if (*minor != s.price_minor) {
        s.price_minor = *minor;
        out.changed.push_back("price");
      }
    } else {
      error("price", "invalid_money", "Prețul se scrie cu cifre și cel mult două zecimale (12.50).",
            "The price is digits with at most two decimals (12.50).");
    }
  }
  if (input.currency) {
    if (!domain::IsCurrency(*input.currency)) {
      error("currency", "invalid_currency", "Moneda este un cod ISO 4217 (RON, EUR).",
            "The currency is an ISO 4217 code (RON, EUR).");
    } else {
      set("currency", *input.currency, &s.currency);
    }
  }
  if (input.vat_rate_key && (creating || *input.vat_rate_key != s.vat_rate_key)) {
    if (!Contains(refs.vat_rate_keys, *input.vat_rate_key)) {
      error("vat_rate_key", "unknown_vat_rate",
            "Cota de TVA „" + *input.vat_rate_key + "” nu este în tabel.",
            "The VAT rate '" + *input.vat_rate_key + "' is not in the table.");
    } else {
      set("vat_rate_key", *input.vat_rate_key, &s.vat_rate_key);
    }
  }
  if (input.active && *input.active != s.active) {
    s.active = *input.active;
    out.changed.push_back("active");
  }
  for (const auto& [key, raw] : input.custom) {
    settings::ApplyCustomValue(key, raw, refs.rules.custom_fields, "", &s.custom,
                               &out.custom_changed, errors);
  }
  for (const std::string& required : refs.rules.required) {
    std::string value = "set";
    if (required.starts_with("custom.")) {
      auto it = s.custom.find(required.substr(7));
      value = it == s.custom.end() ? "" : it->second;
    } else if (required == "description") {
      value = s.description;
    } else if (required == "category_id") {
      value = s.category_id;
    } else if (required == "price") {
      value = s.price_minor > 0 ? "set" : "";
    }
    const bool reported = std::any_of(errors->begin(), errors->end(),
                                      [&](const FieldError& e) { return e.field == required; });
    if (value.empty() && !reported) {
      errors->push_back({required, "required", {"Câmp obligatoriu.", "Required."}});
    }
  }
  return out;
}

}  // namespace

std::vector<sales::TypeDef> DefaultProductUnits() {
  return {{"buc", {"bucată", "piece"}}, {"kg", {"kg", "kg"}},        {"m", {"m", "m"}},
          {"m2", {"m²", "m²"}},         {"l", {"litru", "litre"}},   {"h", {"oră", "hour"}},
          {"zi", {"zi", "day"}},        {"luna", {"lună", "month"}}, {"an", {"an", "year"}},
          {"set", {"set", "set"}}};
}

std::string ProductCodeClaim(const std::string& code) {
  return "product-code-" + accounts::FoldText(code);
}

std::map<std::string, domain::UniqueValue> ProductClaims(const Product::State& state) {
  std::map<std::string, domain::UniqueValue> claims;
  if (!state.exists || state.archived || state.code.empty()) return claims;
  domain::Rejection taken = Reject("product_code_taken", "Codul de produs este deja folosit.",
                                   "The product code is taken.", 409);
  taken.fields.push_back({"code", "taken", taken.message});
  claims.emplace(ProductCodeClaim(state.code), domain::UniqueValue{std::move(taken), true});
  return claims;
}

domain::Decision<Product::Event> Product::Decide(const State& state, const Command& command,
                                                 const domain::Context&) {
  using Result = domain::Decision<Event>;
  return std::visit(Overload{
                        [&](const CreateProduct& create) -> Result {
                          if (state.exists) {
                            return Reject("product_exists", "Produsul există deja.",
                                          "The product exists already.", 409);
                          }
                          ProductInput input = create.input;
                          // Required ones are checked even when absent.
                          for (auto* member : {&input.code, &input.name, &input.unit}) {
                            if (!*member) *member = "";
                          }
                          if (!input.vat_rate_key) input.vat_rate_key = state.vat_rate_key;
                          std::vector<FieldError> errors;
                          Applied applied = Apply(state, input, create.refs, true, &errors);
                          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
                          const State& s = applied.state;
                          ProductCreatedT e;
                          e.product_id = create.product_id;
                          SetFields(s, &e);
                          e.custom = accounts::CustomValues(s.custom);
                          return Events{std::move(e)};
                        },
                        [&](const ChangeProduct& change) -> Result {
                          if (!state.exists) return NoSuchProduct();
                          if (state.archived) return Archived();
                          std::vector<FieldError> errors;
                          Applied applied = Apply(state, change.input, change.refs, false, &errors);
                          if (!errors.empty()) return domain::InvalidFields(std::move(errors));
                          if (applied.changed.empty() && applied.custom_changed.empty())
                            return Events{};
                          const State& s = applied.state;
                          ProductChangedT e;
                          e.changed = applied.changed;
                          SetFields(s, &e);
                          e.custom = accounts::CustomValues(applied.custom_changed);
                          return Events{std::move(e)};
                        },
                        [&](const ArchiveProduct&) -> Result {
                          if (!state.exists) return NoSuchProduct();
                          if (state.archived) return Events{};
                          return Events{ProductArchivedT{}};
                        },
                        [&](const RestoreProduct&) -> Result {
                          if (!state.exists) return NoSuchProduct();
                          if (!state.archived) return Events{};
                          return Events{ProductRestoredT{}};
                        },
                    },
                    command);
}

Product::State Product::Evolve(State state, const Event& event) {
  std::visit(Overload{
                 [&](const ProductCreatedT& e) {
                   state.exists = true;
                   state.code = e.code;
                   state.name = e.name;
                   state.description = e.description;
                   state.category_id = e.category_id;
                   state.unit = e.unit;
                   state.price_minor = e.price_minor;
                   state.currency = e.currency;
                   state.vat_rate_key = e.vat_rate_key;
                   state.active = e.active;
                   for (const auto& v : e.custom) state.custom[v->key] = v->value;
                 },
                 [&](const ProductChangedT& e) {
                   for (const std::string& field : e.changed) {
                     if (field == "code") state.code = e.code;
                     if (field == "name") state.name = e.name;
                     if (field == "description") state.description = e.description;
                     if (field == "category_id") state.category_id = e.category_id;
                     if (field == "unit") state.unit = e.unit;
                     if (field == "price") state.price_minor = e.price_minor;
                     if (field == "currency") state.currency = e.currency;
                     if (field == "vat_rate_key") state.vat_rate_key = e.vat_rate_key;
                     if (field == "active") state.active = e.active;
                   }
                   for (const auto& v : e.custom) {
                     if (v->value.empty()) {
                       state.custom.erase(v->key);
                     } else {
                       state.custom[v->key] = v->value;
                     }
                   }
                 },
                 [&](const ProductArchivedT&) { state.archived = true; },
                 [&](const ProductRestoredT&) { state.archived = false; },
             },
             event);
  return state;
}

}  // namespace crm::catalog
