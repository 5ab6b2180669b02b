// The catalogue's routes: VAT rates, units, product categories and products.

#include "api/catalog/catalog.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/http/declare.h"
#include "api/http/listing.h"
#include "api/http/problem.h"
#include "api/http/request.h"
#include "api/http/server.h"
#include "api/http/spreadsheet.h"
#include "domain/catalog/category.h"
#include "domain/catalog/product.h"
#include "domain/catalog/vat_rates.h"
#include "domain/money.h"
#include "domain/time.h"
#include "domain/transact.h"

namespace crm::api {

namespace {

using identity::Permission;
using nlohmann::json;
namespace cat = crm::catalog;

http::Schemas NamedSchemas() {
  const http::Schema price = String()
                                 .Pattern(R"(^[0-9]{1,15}(\.[0-9]{1,2})?$)")
                                 .Example("125.50")
                                 .Describe(
                                     "A decimal string, at most two decimals; kept as "
                                     "integer minor units.");
  const http::Schema product = Object(
      {{"code", String().Length(1, cat::kMaxProductCodeLength)},
       {"name", String().Length(1, cat::kMaxProductNameLength)},
       {"description", String().Length(std::nullopt, cat::kMaxProductDescriptionLength).Nullable()},
       {"category_id", String().Nullable().Describe("null: in no category.")},
       {"unit", String().Describe("A key of GET /api/v1/product-units (buc, kg, h, …).")},
       {"price", price},
       {"currency", String().Length(3, 3).Describe("ISO 4217; default RON.")},
       {"vat_rate_key",
        String().Describe("A key of GET /api/v1/settings/vat-rates; default standard.")},
       {"active", Boolean()},
       {"custom", Ref("CustomValues")}});
  const http::Schema names =
      Object({{"ro", String().Length(1, 200)}, {"en", String().Length(std::nullopt, 200)}})
          .Require({"ro"});
  return {
      {"ProductBody", product},
      {"NewProduct", product.Require({"code", "name", "unit"})},
      {"Product", Object({{"id", String()},
                          {"code", String()},
                          {"name", String()},
                          {"description", String().Nullable()},
                          {"category_id", String().Nullable()},
                          {"category_name", String().Nullable().Describe("The category's path.")},
                          {"unit", String()},
                          {"price", String()},
                          {"price_minor", Integer()},
                          {"currency", String()},
                          {"vat_rate_key", String()},
                          {"vat_percent",
                           String().Nullable().Describe("The rate of vat_rate_key valid today.")},
                          {"active", Boolean()},
                          {"archived", Boolean()},
                          {"custom", Object().Values(String())},
                          {"version", Integer()},
                          {"created_at", String().Format("date-time")},
                          {"updated_at", String().Format("date-time")}})
                      .Open()},
      {"ProductPage", Object({{"items", Array(Ref("Product"))},
                              {"next_cursor", String().Nullable()},
                              {"total", Integer()},
                              {"columns", Array(String())},
                              {"pinned", String()}})
                          .Open()},
      {"CategoryNames", names},
      {"NewCategory",
       Object({{"name", Ref("CategoryNames")},
               {"parent_id", String().Nullable().Describe("null: at the top level.")}})
           .Require({"name"})},
      {"CategoryChange",
       Object({{"name", Ref("CategoryNames")},
               {"parent_id", String().Nullable().Describe("null moves it to the top level.")}})},
      {"Category", Object({{"id", String()},
                           {"name", Ref("CategoryNames")},
                           {"parent_id", String().Nullable()},
                           {"depth", Integer()},
                           {"path", String()},
                           {"children", Array(Ref("Category"))}})
                       .Open()},
      {"CategoryTree", Object({{"items", Array(Ref("Category"))}, {"total", Integer()}}).Open()},
      {"VatRate",
       Object({{"key", String().Pattern(R"(^[a-z0-9_]{1,40}$)").Example("standard")},
               {"label", Ref("Text")},
               {"percent", String()
                               .Pattern(R"(^[0-9]{1,3}(\.[0-9]{1,2})?$)")
                               .Example("21")
                               .Describe("A decimal string, at most two decimals.")},
               {"valid_from", String().Format("date")},
               {"valid_to", String().Format("date").Nullable().Describe("null: still valid.")}})
           .Require({"key", "label", "percent", "valid_from"})},
      {"VatRates", Object({{"rates", Array(Ref("VatRate")).MaxItems(200)}}).Require({"rates"})},
  };
}

Problem NoSuchProduct() { return NotFoundProblem("Produsul nu există.", "No such product."); }
Problem NoSuchCategory() {
  return NotFoundProblem("Categoria nu există.", "No such product category.");
}

json VatRateJson(const cat::VatRate& r) {
  return {{"key", r.key},
          {"label", {{"ro", r.label.ro}, {"en", r.label.en}}},
          {"percent", domain::FormatMoney(r.percent_basis_points)},
          {"valid_from", r.valid_from},
          {"valid_to", TextOrNull(r.valid_to)}};
}

// A product's input from a body the route's schema validated: null (in a
// PATCH) clears description, category and custom values.
cat::ProductInput ReadProduct(const json& body) {
  cat::ProductInput in;
  auto text = [&](const char* name, std::optional<std::string>* out) {
    if (!body.contains(name)) return;
    *out = body[name].is_null() ? std::string() : body[name].get<std::string>();
  };
  text("code", &in.code);
  text("name", &in.name);
  text("description", &in.description);
  text("category_id", &in.category_id);
  text("unit", &in.unit);
  text("price", &in.price);
  text("currency", &in.currency);
  text("vat_rate_key", &in.vat_rate_key);
  if (body.contains("active")) in.active = body["active"].get<bool>();
  if (body.contains("custom") && body["custom"].is_object()) {
    for (const auto& [key, value] : body["custom"].items()) {
      in.custom[key] = value.is_string() ? value.get<std::string>()
                       : value.is_null() ? std::string()
                                         : value.dump();
    }
  }
  return in;
}

class Catalog final : public Module {
 public:
  Catalog(Server& server, SettingsModule& settings) : server_(server), settings_(settings) {}
  void Register(Server& server) override;
  std::vector<const projections::Projection*> Reads() const override {
    return {&server_.models().products};
  }

 private:
  using Call = Server::Call;

  // What product commands are checked against, read from the aggregates
  // (so a category or unit made a moment ago is known).
  domain::Outcome<cat::ProductRefs> Refs();
  json ProductJson(const projections::ProductRow& row, const projections::Products& model,
                   const cat::VatRates::State& vat, int64_t now_us) const;
  json CategoryJson(const cat::ProductCategories::State& tree, const std::string& id,
                    const projections::Products& model, bool with_children) const;
  // The list's query from the request; false when a problem was sent.
  bool ReadQuery(const Call& call, httplib::Response& res,
                 const cat::ProductCategories::State& tree, projections::ProductQuery* query);
  // Decides `command` on product `id` (the code claimed and released as the
  // state gains and loses it) and answers.
  void ProductCommand(const Call& call, httplib::Response& res, const std::string& id,
                      const cat::Product::Command& command);
  void CategoryCommand(const Call& call, httplib::Response& res, const std::string& id,
                       bool created, const std::vector<cat::ProductCategories::Command>& commands);

  Server& server_;
  SettingsModule& settings_;
  domain::AggregateStore<cat::Product> products_{server_.store(), server_.ids()};
  domain::AggregateStore<cat::ProductCategories> categories_{server_.store(), server_.ids()};
  domain::AggregateStore<cat::VatRates> vat_rates_{server_.store(), server_.ids()};
  domain::AggregateStore<cat::ProductUnits> units_{server_.store(), server_.ids()};
};

domain::Outcome<cat::ProductRefs> Catalog::Refs() {
  cat::ProductRefs refs;
  auto tree = categories_.Load(cat::kCategoriesStream);
  if (!tree.ok()) return tree.status();
  for (const auto& [id, node] : tree.value().state.nodes) refs.category_ids.push_back(id);
  auto units = units_.Load(cat::kProductUnitsStream);
  if (!units.ok()) return units.status();
  for (const auto& t : units.value().state.types) refs.units.push_back(t.key);
  auto vat = vat_rates_.Load(cat::kVatRatesStream);
  if (!vat.ok()) return vat.status();
  refs.vat_rate_keys = cat::VatKeys(vat.value().state);
  auto rules = settings_.RulesNow("product");
  if (!rules.ok()) return rules.status();
  refs.rules = std::move(rules).value();
  return refs;
}

json Catalog::ProductJson(const projections::ProductRow& row, const projections::Products& model,
                          const cat::VatRates::State& vat, int64_t now_us) const {
  const cat::Product::State& p = row.state;
  json custom = json::object();
  for (const auto& [key, value] : p.custom) custom[key] = value;
  const auto rate = cat::RateOn(vat, p.vat_rate_key, domain::UtcDate(now_us));
  return {
      {"id", row.id},
      {"code", p.code},
      {"name", p.name},
      {"description", TextOrNull(p.description)},
      {"category_id", TextOrNull(p.category_id)},
      {"category_name", TextOrNull(model.CategoryPath(p.category_id))},
      {"unit", p.unit},
      {"price", domain::FormatMoney(p.price_minor)},
      {"price_minor", p.price_minor},
      {"currency", p.currency},
      {"vat_rate_key", p.vat_rate_key},
      {"vat_percent", rate ? json(domain::FormatMoney(rate->percent_basis_points)) : json(nullptr)},
      {"active", p.active},
      {"archived", p.archived},
      {"custom", std::move(custom)},
      {"version", row.version},
      {"created_at", domain::FormatRfc3339(row.created_at_us)},
      {"updated_at", domain::FormatRfc3339(row.updated_at_us)}};
}

json Catalog::CategoryJson(const cat::ProductCategories::State& tree, const std::string& id,
                           const projections::Products& model, bool with_children) const {
  const auto& node = tree.nodes.at(id);
  json out = {{"id", id},
              {"name", {{"ro", node.name.ro}, {"en", TextOrNull(node.name.en)}}},
              {"parent_id", TextOrNull(node.parent_id)},
              {"depth", tree.Depth(id)},
              {"path", model.CategoryPath(id)}};
  if (with_children) {
    json children = json::array();
    for (const auto& [child, n] : tree.nodes) {
      if (n.parent_id == id) children.push_back(CategoryJson(tree, child, model, true));
    }
    out["children"] = std::move(children);
  }
  return out;
}

bool Catalog::ReadQuery(const Call& call, httplib::Response& res,
                        const cat::ProductCategories::State& tree,
                        projections::ProductQuery* query) {
  static const std::set<std::string> kPaging = {"limit", "cursor",  "sort", "min_position",
                                                "as_of", "columns", "lang"};
  static const std::set<std::string> kEquals = {"unit", "currency", "vat_rate_key"};
  for (const auto& [name, value] : call.req.params) {
    if (kPaging.count(name)) continue;
    if (name == "q") {
      query->q = value;
    } else if (name == "include_archived" || name == "active") {
      if (value != "true" && value != "false") {
        Send(res, BadParameter(name, "true sau false.", "true or false."));
        return false;
      }
      if (name == "active") {
        query->active = value == "true";
      } else {
        query->include_archived = value == "true";
      }
    } else if (name == "category") {
      for (const std::string& id : CommaItems(value)) {
        auto within = cat::SelfAndDescendants(tree, id);
        if (within.empty()) {
          Send(res, BadParameter(name, "„" + id + "” nu este o categorie.",
                                 "'" + id + "' is not a category."));
          return false;
        }
        query->categories.insert(query->categories.end(), within.begin(), within.end());
      }
    } else if (name == "price") {
      const size_t dots = value.find("..");
      const std::string from = dots == std::string::npos ? value : value.substr(0, dots);
      const std::string to = dots == std::string::npos ? value : value.substr(dots + 2);
      const auto low = from.empty() ? std::optional<int64_t>() : domain::ParseMoney(from);
      const auto high = to.empty() ? std::optional<int64_t>() : domain::ParseMoney(to);
      if ((!from.empty() && !low) || (!to.empty() && !high) || (from.empty() && to.empty())) {
        Send(res, BadParameter(name, "un interval de prețuri, de exemplu 10..99.90 sau 100..",
                               "a price range, e.g. 10..99.90 or 100.."));
        return false;
      }
      query->price_from = low;
      query->price_to = high;
    } else if (kEquals.count(name) || name.starts_with("custom.")) {
      query->equals[name] = value;
    } else {
      Send(res, BadParameter(name, "nu este un filtru al listei de produse.",
                             "is not a filter of the products list."));
      return false;
    }
  }
  return true;
}

void Catalog::ProductCommand(const Call& call, httplib::Response& res, const std::string& id,
                             const cat::Product::Command& command) {
  domain::TransactOptions options;
  if (!server_.CommandOptions(call, res, &options)) return;
  const domain::Context ctx = server_.ContextOf(call);
  auto outcome = products_.Transact(
      cat::ProductStream(id), ctx,
      [&](const cat::Product::State& s) { return cat::Product::Decide(s, command, ctx); }, options,
      cat::ProductClaims);
  if (std::holds_alternative<cat::CreateProduct>(command)) {
    server_.ReplyCreated(res, outcome, "product-", id, "/api/v1/products");
  } else {
    server_.Reply(res, outcome, id, false, "");
  }
}

void Catalog::CategoryCommand(const Call& call, httplib::Response& res, const std::string& id,
                              bool created,
                              const std::vector<cat::ProductCategories::Command>& commands) {
  domain::TransactOptions options;
  if (!server_.CommandOptions(call, res, &options)) return;
  const domain::Context ctx = server_.ContextOf(call);
  auto outcome = categories_.Transact(
      cat::kCategoriesStream, ctx,
      [&](const cat::ProductCategories::State& s) {
        return domain::DecideAll<cat::ProductCategories>(s, commands, ctx);
      },
      options);
  server_.Reply(res, outcome, id, created,
                created ? "/api/v1/product-categories/" + id : std::string());
}

void Catalog::Register(Server& server) {
  server.schemas().merge(NamedSchemas());
  server.tags()["catalog"] = "Products, product categories, units and VAT rates.";
  projections::Products& model = server.models().products;
  server.Label<cat::ProductCreatedT>({{"Produs creat", "Product created"}, "product"});
  server.Label<cat::ProductChangedT>({{"Produs modificat", "Product changed"}, "product"});
  server.Label<cat::ProductArchivedT>({{"Produs arhivat", "Product archived"}});
  server.Label<cat::ProductRestoredT>({{"Produs restaurat", "Product restored"}});

  // --- VAT rates -----------------------------------------------------------
  server.Route(
      {.method = "GET",
       .path = "/api/v1/settings/vat-rates",
       .permission = Permission::kReadCrm,
       .op = "getVatRates",
       .summary = "The VAT rates, each with the dates it is valid (default: Romania's since "
                  "1 August 2025, and the earlier rates with their end date)",
       .tag = "catalog",
       .params = {Shared("as_of")},
       .answer = Object({{"rates", Array(Ref("VatRate"))}, {"version", Integer()}}).Open(),
       .etag = true},
      [this](const Call& call, httplib::Response& res) {
        auto loaded = server_.LoadFor(call, vat_rates_, cat::kVatRatesStream);
        if (!loaded.ok()) return Send(res, FromStatus(loaded.status()));
        json rates = json::array();
        for (const auto& r : loaded.value().state.rates) rates.push_back(VatRateJson(r));
        SetETag(res, loaded.value().version);
        SendJson(res, {{"rates", rates}, {"version", loaded.value().version}});
      });
  server.Route(
      {.method = "PUT",
       .path = "/api/v1/settings/vat-rates",
       .permission = Permission::kAdminister,
       .op = "setVatRates",
       .summary = "Replace the VAT table (administrators); a key products use stays",
       .tag = "catalog",
       .params = CommandParams(),
       .body = Ref("VatRates"),
       .answer = Ref("CommandResult"),
       .errors = {409, 412},
       .etag = true},
      [this, &model](const Call& call, httplib::Response& res) {
        cat::SetVatRates set;
        for (const auto& r : call.body["rates"]) {
          const auto percent = domain::ParseMoney(r["percent"].get<std::string>());
          cat::VatRate rate;
          rate.key = r["key"].get<std::string>();
          rate.label = {r["label"]["ro"].get<std::string>(), r["label"]["en"].get<std::string>()};
          rate.percent_basis_points = static_cast<int>(percent.value_or(-1));  // -1: refused
          rate.valid_from = r["valid_from"].get<std::string>();
          rate.valid_to = r.value("valid_to", "");  // null was dropped: open
          set.rates.push_back(std::move(rate));
        }
        // A key products name does not leave the table: end its validity instead.
        std::vector<domain::FieldError> in_use;
        for (const std::string& key : model.VatKeysInUse()) {
          const bool kept = std::any_of(set.rates.begin(), set.rates.end(),
                                        [&](const cat::VatRate& r) { return r.key == key; });
          if (!kept) {
            in_use.push_back({key,
                              "vat_rate_in_use",
                              {"Produse folosesc cota „" + key + "”; închideți-i valabilitatea.",
                               "Products use the rate '" + key + "'; end its validity instead."}});
          }
        }
        if (!in_use.empty()) {
          Problem p{409,
                    "vat_rate_in_use",
                    {"O cotă de TVA folosită de produse nu poate fi ștearsă.",
                     "A VAT rate products use cannot be removed."},
                    "",
                    std::move(in_use)};
          return Send(res, p);
        }
        domain::TransactOptions options;
        if (!server_.CommandOptions(call, res, &options)) return;
        const domain::Context ctx = server_.ContextOf(call);
        auto outcome = vat_rates_.Transact(
            cat::kVatRatesStream, ctx,
            [&](const cat::VatRates::State& s) { return cat::VatRates::Decide(s, set, ctx); },
            options);
        server_.Reply(res, outcome, cat::kVatRatesStream, false, "");
      });

  // --- units ---------------------------------------------------------------
  const http::Schema type_list =
      Object({{"items", Array(Object({{"key", String()}, {"label", Ref("Text")}}).Open())},
              {"total", Integer()},
              {"next_cursor", String().Nullable()}})
          .Open();
  server.TypeListRoutes(
      {.method = "GET",
       .path = "/api/v1/product-units",
       .permission = Permission::kReadCrm,
       .op = "listProductUnits",
       .summary = "Units of measure (default: buc, kg, m, m2, l, h, zi, luna, an, set, then "
                  "those users added)",
       .tag = "catalog",
       .params = {Shared("as_of")},
       .answer = type_list},
      {.method = "POST",
       .path = "/api/v1/product-units",
       .permission = Permission::kChangeAny,
       .op = "addProductUnit",
       .summary = "Add a unit of measure",
       .tag = "catalog",
       .params = CommandParams(),
       .body = Object({{"key", String().Pattern(R"(^[a-z0-9_]{1,40}$)").Example("cutie")},
                       {"label", Ref("Text")}})
                   .Require({"key", "label"}),
       .status = 201,
       .answer = Ref("CommandResult"),
       .errors = {409, 412},
       .etag = true,
       .location = true},
      units_, cat::kProductUnitsStream);

  // --- categories ----------------------------------------------------------
  server.Route({.method = "GET",
                .path = "/api/v1/product-categories",
                .permission = Permission::kReadCrm,
                .op = "getProductCategoryTree",
                .summary = "The category tree, nested, top-level categories by name",
                .tag = "catalog",
                .params = {Shared("min_position"), Shared("as_of")},
                .answer = Ref("CategoryTree"),
                .errors = {503}},
               [this](const Call& call, httplib::Response& res) {
                 server_.Read<projections::Products>(
                     call, res, server_.models().products, [&](const projections::Products& m) {
                       const auto tree = m.Categories();
                       json items = json::array();
                       for (const auto& [id, node] : tree.nodes) {
                         if (node.parent_id.empty()) {
                           items.push_back(CategoryJson(tree, id, m, true));
                         }
                       }
                       std::sort(items.begin(), items.end(), [](const json& a, const json& b) {
                         return a["path"].get<std::string>() < b["path"].get<std::string>();
                       });
                       SendJson(res, {{"items", items}, {"total", tree.nodes.size()}});
                     });
               });
  server.Route({.method = "GET",
                .path = "/api/v1/product-categories/{id}",
                .permission = Permission::kReadCrm,
                .op = "getProductCategory",
                .summary = "One category with its path and subcategories",
                .tag = "catalog",
                .params = {Shared("min_position"), Shared("as_of")},
                .answer = Ref("Category"),
                .errors = {404, 503}},
               [this](const Call& call, httplib::Response& res) {
                 const std::string id = call.req.matches[1];
                 server_.Read<projections::Products>(
                     call, res, server_.models().products, [&](const projections::Products& m) {
                       const auto tree = m.Categories();
                       if (!tree.nodes.count(id)) return Send(res, NoSuchCategory());
                       SendJson(res, CategoryJson(tree, id, m, true));
                     });
               });
  auto names = [](const json& body) {
    return domain::Text{body["name"]["ro"].get<std::string>(), body["name"].value("en", "")};
  };
  server.Route({.method = "POST",
                .path = "/api/v1/product-categories",
                .permission = Permission::kChangeAny,
                .op = "createProductCategory",
                .summary = "Create a category (at most three levels)",
                .tag = "catalog",
                .params = CommandParams(),
                .body = Ref("NewCategory"),
                .status = 201,
                .answer = Ref("CommandResult"),
                .errors = {409, 412},
                .etag = true,
                .location = true},
               [this, names](const Call& call, httplib::Response& res) {
                 const std::string id = server_.ids().Next();
                 CategoryCommand(
                     call, res, id, true,
                     {cat::CreateCategory{id, call.body.value("parent_id", ""), names(call.body)}});
               });
  server.Route({.method = "PATCH",
                .path = "/api/v1/product-categories/{id}",
                .permission = Permission::kChangeAny,
                .op = "changeProductCategory",
                .summary = "Rename and/or move a category (one decision)",
                .tag = "catalog",
                .params = CommandParams(),
                .body = Ref("CategoryChange"),
                .answer = Ref("CommandResult"),
                .errors = {404, 409, 412},
                .etag = true},
               [this, names](const Call& call, httplib::Response& res) {
                 const std::string id = call.req.matches[1];
                 std::vector<cat::ProductCategories::Command> commands;
                 if (call.body.contains("name")) {
                   commands.emplace_back(cat::RenameCategory{id, names(call.body)});
                 }
                 if (call.body.contains("parent_id")) {
                   const json& parent = call.body["parent_id"];
                   commands.emplace_back(cat::MoveCategory{
                       id, parent.is_null() ? std::string() : parent.get<std::string>()});
                 }
                 CategoryCommand(call, res, id, false, commands);
               });
  server.Route(
      {.method = "DELETE",
       .path = "/api/v1/product-categories/{id}",
       .permission = Permission::kChangeAny,
       .op = "deleteProductCategory",
       .summary = "Delete a category without subcategories or products",
       .tag = "catalog",
       .params = CommandParams(),
       .answer = Ref("CommandResult"),
       .errors = {400, 404, 409, 412},
       .etag = true},
      [this, &model](const Call& call, httplib::Response& res) {
        const std::string id = call.req.matches[1];
        // The products model must have seen every product so far.
        if (!server_.AwaitMinPosition(call.req, res, &server_.models().products)) return;
        CategoryCommand(call, res, id, false, {cat::DeleteCategory{id, model.CategoryInUse(id)}});
      });

  // --- products ------------------------------------------------------------
  const std::vector<Param> filters = {
      Param{.name = "q",
            .schema = String(),
            .description = "Words in the code, name or description, ignoring case and "
                           "diacritics."},
      Param{.name = "category",
            .schema = String(),
            .description = "Category ids, comma-separated; each with its subcategories."},
      Param{.name = "active", .schema = Boolean()},
      Param{.name = "price",
            .schema = String(),
            .description = "A range from..to of decimal prices, either end open (10..99.90)."},
      Param{.name = "unit", .schema = String()},
      Param{.name = "currency", .schema = String()},
      Param{.name = "vat_rate_key", .schema = String()},
      Param{.name = "include_archived", .schema = Boolean()},
      Param{.name = "columns",
            .schema = String(),
            .description = "Comma-separated columns, or 'all' for whole records; default: my "
                           "table settings."}};
  std::vector<Param> list_params = {Shared("limit"), Shared("cursor"), Shared("sort"),
                                    Shared("min_position"), Shared("as_of")};
  list_params.insert(list_params.end(), filters.begin(), filters.end());
  std::vector<Param> export_params = {Shared("sort"), Shared("min_position"), Shared("as_of"),
                                      ExportLangParam()};
  export_params.insert(export_params.end(), filters.begin(), filters.end());

  // The rows of a list request: false when a problem was sent.
  auto list = [this](const Call& call, httplib::Response& res, const projections::Products& m,
                     const PageRequest& request, size_t limit,
                     std::vector<projections::ProductRow>* rows, size_t* total) {
    projections::ProductQuery query;
    if (!ReadQuery(call, res, m.Categories(), &query)) return false;
    auto page = m.Query(query, request.sort, request.offset, limit);
    *rows = std::move(page.rows);
    *total = page.total;
    return true;
  };
  server.Route(
      {.method = "GET",
       .path = "/api/v1/products",
       .permission = Permission::kReadCrm,
       .op = "listProducts",
       .summary = "Products: search (q), filters (category with its subcategories, active, "
                  "price range, unit, currency, VAT rate, custom.<key>), sort, pages",
       .tag = "catalog",
       .params = list_params,
       .answer = Ref("ProductPage"),
       .errors = {503}},
      [this, list](const Call& call, httplib::Response& res) {
        PageRequest request;
        ListColumns columns;
        if (!settings_.ReadListRequest(call, res, *domain::ListOf("product"), &request, &columns)) {
          return;
        }
        auto vat = vat_rates_.Load(cat::kVatRatesStream);
        if (!vat.ok()) return Send(res, FromStatus(vat.status()));
        server_.Read<projections::Products>(
            call, res, server_.models().products, [&](const projections::Products& m) {
              std::vector<projections::ProductRow> rows;
              size_t total = 0;
              if (!list(call, res, m, request, request.limit, &rows, &total)) return;
              json items = json::array();
              for (const auto& row : rows) {
                json full = ProductJson(row, m, vat.value().state, server_.NowUs());
                json item = columns.all ? full : RowJson(full, columns.names);
                if (item.contains("category_id")) item["category_name"] = full["category_name"];
                items.push_back(std::move(item));
              }
              json page;
              if (PageAnswer(res, request, total, std::move(items), &page)) {
                page["columns"] = columns.names;
                page["pinned"] = columns.table.pinned;
                SendJson(res, page);
              }
            });
      });
  server.Route(
      {.method = "GET",
       .path = "/api/v1/products.xlsx",
       .permission = Permission::kReadCrm,
       .op = "exportProducts",
       .summary = "The products list as an .xlsx workbook (same filters, sort and columns as the "
                  "list; typed cells; headers and labels in ro or en; categories by name)",
       .tag = "catalog",
       .params = export_params,
       .content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
       .answer = String().Format("binary"),
       .errors = {503}},
      [this, list](const Call& call, httplib::Response& res) {
        PageRequest request;
        std::optional<ListExport> sheet;
        if (!settings_.ReadExportRequest(call, res, *domain::ListOf("product"), {}, &request,
                                         &sheet)) {
          return;
        }
        auto vat = vat_rates_.Load(cat::kVatRatesStream);
        if (!vat.ok()) return Send(res, FromStatus(vat.status()));
        server_.Read<projections::Products>(
            call, res, server_.models().products, [&](const projections::Products& m) {
              std::vector<projections::ProductRow> rows;
              size_t total = 0;
              if (!list(call, res, m, request, SIZE_MAX, &rows, &total)) return;
              for (const auto& row : rows) {
                sheet->Add(ProductJson(row, m, vat.value().state, server_.NowUs()));
              }
              SendWorkbook(res, {std::move(*sheet).Done("Produse")}, "produse.xlsx");
            });
      });
  server.Route({.method = "GET",
                .path = "/api/v1/products/{id}",
                .permission = Permission::kReadCrm,
                .op = "getProduct",
                .summary = "One product",
                .tag = "catalog",
                .params = {Shared("min_position"), Shared("as_of")},
                .answer = Ref("Product"),
                .errors = {404, 503},
                .etag = true},
               [this](const Call& call, httplib::Response& res) {
                 const std::string id = call.req.matches[1];
                 auto vat = server_.LoadFor(call, vat_rates_, cat::kVatRatesStream);
                 if (!vat.ok()) return Send(res, FromStatus(vat.status()));
                 server_.Read<projections::Products>(
                     call, res, server_.models().products, [&](const projections::Products& m) {
                       auto row = m.Get(id);
                       if (!row || !row->state.exists) return Send(res, NoSuchProduct());
                       SetETag(res, row->version);
                       SendJson(res, ProductJson(*row, m, vat.value().state, server_.NowUs()));
                     });
               });
  server.Route(
      {.method = "POST",
       .path = "/api/v1/products",
       .permission = Permission::kChangeAny,
       .op = "createProduct",
       .summary = "Create a product (its code unique among products)",
       .tag = "catalog",
       .params = CommandParams(),
       .body = Ref("NewProduct"),
       .status = 201,
       .answer = Ref("CommandResult"),
       .errors = {409, 412},
       .etag = true,
       .location = true},
      [this](const Call& call, httplib::Response& res) {
        auto refs = Refs();
        if (!refs.ok()) return Send(res, FromStatus(refs.status()));
        const std::string id = server_.ids().Next();
        ProductCommand(call, res, id, cat::CreateProduct{id, ReadProduct(call.body), refs.value()});
      });
  server.Route({.method = "PATCH",
                .path = "/api/v1/products/{id}",
                .permission = Permission::kChangeAny,
                .op = "changeProduct",
                .summary = "Change a product (merge patch, one decision); its code is claimed "
                           "anew when it changes",
                .tag = "catalog",
                .params = CommandParams(),
                .body = Ref("ProductBody"),
                .answer = Ref("CommandResult"),
                .errors = {404, 409, 412},
                .etag = true},
               [this](const Call& call, httplib::Response& res) {
                 auto refs = Refs();
                 if (!refs.ok()) return Send(res, FromStatus(refs.status()));
                 ProductCommand(call, res, call.req.matches[1],
                                cat::ChangeProduct{ReadProduct(call.body), refs.value()});
               });
  server.Route({.method = "DELETE",
                .path = "/api/v1/products/{id}",
                .permission = Permission::kChangeAny,
                .op = "archiveProduct",
                .summary = "Archive a product (its history stays; its code is freed)",
                .tag = "catalog",
                .params = CommandParams(),
                .answer = Ref("CommandResult"),
                .errors = {400, 404, 409, 412},
                .etag = true},
               [this](const Call& call, httplib::Response& res) {
                 ProductCommand(call, res, call.req.matches[1], cat::ArchiveProduct{});
               });
  server.Route({.method = "POST",
                .path = "/api/v1/products/{id}/restore",
                .permission = Permission::kChangeAny,
                .op = "restoreProduct",
                .summary = "Restore an archived product (its code is taken again)",
                .tag = "catalog",
                .params = CommandParams(),
                .answer = Ref("CommandResult"),
                .errors = {400, 404, 409, 412},
                .etag = true},
               [this](const Call& call, httplib::Response& res) {
                 ProductCommand(call, res, call.req.matches[1], cat::RestoreProduct{});
               });
  server.Route({.method = "GET",
                .path = "/api/v1/products/{id}/history",
                .permission = Permission::kReadCrm,
                .op = "getProductHistory",
                .summary = "Every event of the product, newest first, with who, when and a "
                           "summary in ro and en",
                .tag = "catalog",
                .params = {Shared("limit"), Shared("cursor"), Shared("as_of")},
                .answer = Ref("HistoryPage"),
                .errors = {404}},
               [this](const Call& call, httplib::Response& res) {
                 const std::string id = call.req.matches[1];
                 auto row = server_.models().products.Get(id);
                 server_.SendHistory(call, res, {cat::ProductStream(id)}, row && row->state.exists,
                                     NoSuchProduct());
               });
}

}  // namespace

std::unique_ptr<Module> CatalogModule(Server& server, SettingsModule& settings) {
  return std::make_unique<Catalog>(server, settings);
}

}  // namespace crm::api
