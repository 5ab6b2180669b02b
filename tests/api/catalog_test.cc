// The products catalogue over HTTP: categories, units, VAT rates, products
// (CRUD, unique codes, search with diacritics, filters, export read back by
// openpyxl, history and as_of).

#include <gtest/gtest.h>

#include <set>

#include "support/server_fixture.h"
#include "support/workbook.h"

namespace crm::api {
namespace {

constexpr const char* kJson = "application/json";

class CatalogTest : public testing::ServerFixture {
 protected:
  httplib::Result Post(const std::string& path, const json& body,
                       httplib::Client* client = nullptr) {
    return (client ? client : client_.get())->Post(path, body.dump(), kJson);
  }
  httplib::Result Patch(const std::string& path, const json& body) {
    return client_->Patch(path, body.dump(), kJson);
  }
  json Get(const std::string& path) {
    const char sep = path.find('?') == std::string::npos ? '?' : '&';
    auto r = client_->Get(path + sep + "min_position=" + std::to_string(store_->Head()));
    EXPECT_TRUE(r && r->status == 200) << path << ": " << (r ? r->body : "no answer");
    return r && r->status == 200 ? Body(r) : json();
  }
  std::string Created(const httplib::Result& r) {
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? Body(r)["id"].get<std::string>() : "";
  }
  std::string Category(const std::string& ro, const std::string& parent = "") {
    json body = {{"name", {{"ro", ro}, {"en", ro}}}};
    if (!parent.empty()) body["parent_id"] = parent;
    return Created(Post("/api/v1/product-categories", body));
  }
  std::string Product(const json& body) { return Created(Post("/api/v1/products", body)); }
  // The codes of a products list, in its order.
  std::vector<std::string> Codes(const std::string& query) {
    std::vector<std::string> out;
    const json page = Get("/api/v1/products?columns=all&" + query);
    for (const auto& p : page["items"]) {
      out.push_back(p["code"]);
    }
    return out;
  }
};

TEST_F(CatalogTest, ProductsAreCreatedReadChangedArchivedAndRestored) {
  const std::string software = Category("Software");
  auto r = Post("/api/v1/products", {{"code", "LIC-01"},
                                     {"name", "Licență anuală"},
                                     {"unit", "an"},
                                     {"price", "1200.50"},
                                     {"category_id", software},
                                     {"vat_rate_key", "standard"},
                                     {"description", nullptr}});
  const std::string id = Created(r);
  EXPECT_EQ("/api/v1/products/" + id, r->get_header_value("Location"));
  json p = Get("/api/v1/products/" + id);
  EXPECT_EQ("LIC-01", p["code"]);
  EXPECT_EQ("Licență anuală", p["name"]);
  EXPECT_EQ("1200.50", p["price"]);
  EXPECT_EQ(120050, p["price_minor"]);
  EXPECT_EQ("RON", p["currency"]);
  EXPECT_EQ("21.00", p["vat_percent"]);  // Romania's standard rate since 1 August 2025
  EXPECT_EQ("Software", p["category_name"]);
  EXPECT_TRUE(p["description"].is_null());
  EXPECT_EQ(true, p["active"]);

  // A merge patch: only what is given changes; null clears.
  r = Patch("/api/v1/products/" + id,
            {{"price", "1100"}, {"category_id", nullptr}, {"active", false}});
  ASSERT_EQ(200, r->status) << r->body;
  p = Get("/api/v1/products/" + id);
  EXPECT_EQ("1100.00", p["price"]);
  EXPECT_TRUE(p["category_id"].is_null());
  EXPECT_EQ(false, p["active"]);
  EXPECT_EQ("Licență anuală", p["name"]);
  ExpectProblem(Patch("/api/v1/products/" + id, {{"name", nullptr}}), 422, "validation_failed");

  // Codes are unique, ignoring case; archiving frees the code.
  ExpectProblem(Post("/api/v1/products", {{"code", "lic-01"}, {"name", "Alt"}, {"unit", "buc"}}),
                409, "product_code_taken");
  ASSERT_EQ(200, client_->Delete("/api/v1/products/" + id)->status);
  EXPECT_TRUE(Get("/api/v1/products/" + id)["archived"]);
  const std::string other = Product({{"code", "lic-01"}, {"name", "Alt"}, {"unit", "buc"}});
  ExpectProblem(client_->Post("/api/v1/products/" + id + "/restore", "", kJson), 409,
                "product_code_taken");
  ASSERT_EQ(200, client_->Delete("/api/v1/products/" + other)->status);
  ASSERT_EQ(200, client_->Post("/api/v1/products/" + id + "/restore", "", kJson)->status);
  EXPECT_FALSE(Get("/api/v1/products/" + id)["archived"]);

  // Bad values are named.
  r = Post("/api/v1/products", {{"code", "X-1"},
                                {"name", "X"},
                                {"unit", "barrel"},
                                {"price", "12.345"},
                                {"vat_rate_key", "luxury"}});
  ExpectProblem(r, 422, "validation_failed");
  std::set<std::string> fields;
  for (const json& e : json(Body(r)["errors"])) fields.insert(e["field"]);
  EXPECT_TRUE(fields.count("price")) << r->body;  // the schema's pattern
  r = Post("/api/v1/products",
           {{"code", "X-1"}, {"name", "X"}, {"unit", "barrel"}, {"vat_rate_key", "luxury"}});
  ExpectProblem(r, 422, "validation_failed");
  fields.clear();
  for (const json& e : json(Body(r)["errors"])) fields.insert(e["field"]);
  EXPECT_EQ((std::set<std::string>{"unit", "vat_rate_key"}), fields) << r->body;
  ExpectProblem(
      Post("/api/v1/products", {{"code", "X-2"}, {"name", "X"}, {"unit", "buc"}, {"price", 12}}),
      400, "invalid_body");

  // Sales users read the catalogue; managers and administrators change it.
  auto sales = NewClient(UserWithRole("sara", "sales"));
  EXPECT_EQ(200, sales->Get("/api/v1/products/" + id)->status);
  ExpectProblem(
      Post("/api/v1/products", {{"code", "S-1"}, {"name", "S"}, {"unit", "buc"}}, sales.get()), 403,
      "forbidden");

  // The history tells every change; as_of answers the past.
  json history = Get("/api/v1/products/" + id + "/history");
  EXPECT_EQ(4, history["total"]) << history;  // created, changed, archived, restored
  const uint64_t created_at = history["items"][history["items"].size() - 1]["position"];
  json past = Get("/api/v1/products/" + id + "?as_of=" + std::to_string(created_at));
  EXPECT_EQ("1200.50", past["price"]);
  EXPECT_EQ(true, past["active"]);
}

TEST_F(CatalogTest, ListsSearchIgnoringDiacriticsAndFilterByCategoryTreeActivityAndPrice) {
  const std::string food = Category("Alimente");
  const std::string dairy = Category("Lactate", food);
  const std::string cheese = Category("Brânzeturi", dairy);
  const std::string tools = Category("Unelte");
  // A fourth level is refused.
  ExpectProblem(
      Post("/api/v1/product-categories", {{"name", {{"ro", "Prea adânc"}}}, {"parent_id", cheese}}),
      422, "category_too_deep");
  Product({{"code", "P1"},
           {"name", "Brânză de burduf"},
           {"unit", "kg"},
           {"price", "45.90"},
           {"category_id", cheese}});
  Product({{"code", "P2"},
           {"name", "Lapte"},
           {"unit", "l"},
           {"price", "7.50"},
           {"category_id", dairy}});
  Product({{"code", "P3"},
           {"name", "Făină"},
           {"unit", "kg"},
           {"price", "4"},
           {"category_id", food},
           {"active", false}});
  Product({{"code", "P4"},
           {"name", "Ciocan"},
           {"unit", "buc"},
           {"price", "60"},
           {"category_id", tools}});

  EXPECT_EQ((std::vector<std::string>{"P1"}), Codes("q=branza"));
  EXPECT_EQ((std::vector<std::string>{"P3"}), Codes("q=FAINA"));
  EXPECT_EQ((std::vector<std::string>{"P1", "P2", "P3"}), Codes("category=" + food + "&sort=code"));
  EXPECT_EQ((std::vector<std::string>{"P1", "P2"}), Codes("category=" + dairy + "&sort=code"));
  EXPECT_EQ((std::vector<std::string>{"P1", "P4"}),
            Codes("category=" + cheese + "," + tools + "&sort=code"));
  EXPECT_EQ((std::vector<std::string>{"P1", "P2", "P4"}), Codes("active=true&sort=code"));
  EXPECT_EQ((std::vector<std::string>{"P2", "P1"}), Codes("price=5..50&sort=price"));
  EXPECT_EQ((std::vector<std::string>{"P4", "P1"}), Codes("price=45.90..&sort=-price"));
  EXPECT_EQ((std::vector<std::string>{"P3", "P2"}), Codes("price=..7.50&sort=price"));
  EXPECT_EQ((std::vector<std::string>{"P1", "P3"}), Codes("unit=kg&sort=code"));
  ExpectProblem(client_->Get("/api/v1/products?price=cheap"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/products?colour=red"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/products?category=nowhere"), 400, "invalid_parameter");

  // The tree, nested.
  json tree = Get("/api/v1/product-categories");
  ASSERT_EQ(2u, tree["items"].size());
  EXPECT_EQ("Alimente", tree["items"][0]["name"]["ro"]);
  EXPECT_EQ("Alimente / Lactate / Brânzeturi",
            tree["items"][0]["children"][0]["children"][0]["path"]);
  // A category with products or subcategories stays.
  ExpectProblem(client_->Delete("/api/v1/product-categories/" + tools), 409, "category_in_use");
  ExpectProblem(client_->Delete("/api/v1/product-categories/" + dairy), 409, "category_not_empty");

  // The export: the caller's columns, Romanian headers, categories by name.
  auto r = client_->Get("/api/v1/products.xlsx?sort=code&min_position=" +
                        std::to_string(store_->Head()));
  ASSERT_EQ(200, r->status) << r->body;
  json cells = testing::ReadWorkbook(r->body, dir_.Sub("p.xlsx"))["Produse"];
  ASSERT_EQ(5u, cells.size()) << cells;
  EXPECT_EQ("Cod", cells[0][0]);
  EXPECT_EQ("Denumire", cells[0][1]);
  EXPECT_EQ("Categorie", cells[0][2]);
  EXPECT_EQ("P1", cells[1][0]);
  EXPECT_EQ("Brânză de burduf", cells[1][1]);
  EXPECT_EQ("Alimente / Lactate / Brânzeturi", cells[1][2]);
  EXPECT_EQ(45.9, cells[1][4]) << "a price is a number";

  // A rename and a move are one PATCH; a move under its own subtree is refused.
  r = Patch("/api/v1/product-categories/" + dairy,
            {{"name", {{"ro", "Produse lactate"}, {"en", "Dairy"}}}, {"parent_id", nullptr}});
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ("Produse lactate / Brânzeturi", Get("/api/v1/product-categories/" + cheese)["path"]);
  EXPECT_TRUE(Get("/api/v1/product-categories/" + dairy)["parent_id"].is_null());
  ExpectProblem(Patch("/api/v1/product-categories/" + dairy, {{"parent_id", cheese}}), 422,
                "category_cycle");
  // The subtree filter follows the move: Alimente keeps only Făină.
  EXPECT_EQ((std::vector<std::string>{"P3"}), Codes("category=" + food));
}

TEST_F(CatalogTest, VatRatesAreDataWithValidityDates) {
  json table = Get("/api/v1/settings/vat-rates");
  std::map<std::string, json> by_key;
  for (const auto& r : table["rates"]) by_key[r["key"]] = r;
  EXPECT_EQ("21.00", by_key["standard"]["percent"]);
  EXPECT_EQ("2025-08-01", by_key["standard"]["valid_from"]);
  EXPECT_EQ("11.00", by_key["reduced"]["percent"]);
  EXPECT_EQ("19.00", by_key["standard_19"]["percent"]);
  EXPECT_EQ("2025-07-31", by_key["standard_19"]["valid_to"]);
  EXPECT_TRUE(by_key.count("reverse_charge"));

  const std::string p =
      Product({{"code", "V1"}, {"name", "Carte"}, {"unit", "buc"}, {"vat_rate_key", "reduced"}});
  EXPECT_EQ("11.00", Get("/api/v1/products/" + p)["vat_percent"]);
  // A key products use is not removed.
  json rates = json::array();
  for (const auto& r : table["rates"]) {
    if (r["key"] != "reduced") rates.push_back(r);
  }
  auto r = client_->Put("/api/v1/settings/vat-rates", json{{"rates", rates}}.dump(), kJson);
  ExpectProblem(r, 409, "vat_rate_in_use");
  // A bad table is refused, naming the member.
  json bad = table["rates"];
  bad[0]["valid_to"] = "2020-01-01";  // before its valid_from
  r = client_->Put("/api/v1/settings/vat-rates", json{{"rates", bad}}.dump(), kJson);
  ExpectProblem(r, 422, "validation_failed");
  // A new rate, then the table as it was.
  const uint64_t before = store_->Head();
  json more = table["rates"];
  more.push_back({{"key", "hotel"},
                  {"label", {{"ro", "Cazare"}, {"en", "Accommodation"}}},
                  {"percent", "11"},
                  {"valid_from", "2025-08-01"}});
  r = client_->Put("/api/v1/settings/vat-rates", json{{"rates", more}}.dump(), kJson);
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ(more.size(), Get("/api/v1/settings/vat-rates")["rates"].size());
  EXPECT_EQ(table["rates"].size(),
            Get("/api/v1/settings/vat-rates?as_of=" + std::to_string(before))["rates"].size());
  // Only administrators set it.
  auto manager = NewClient(UserWithRole("mara", "manager"));
  ExpectProblem(manager->Put("/api/v1/settings/vat-rates", json{{"rates", more}}.dump(), kJson),
                403, "forbidden");
}

TEST_F(CatalogTest, UnitsAreAListUsersExtend) {
  json units = Get("/api/v1/product-units");
  std::set<std::string> keys;
  for (const auto& u : units["items"]) keys.insert(u["key"]);
  for (const char* k : {"buc", "kg", "m", "h", "luna"}) EXPECT_TRUE(keys.count(k)) << k;
  auto r = Post("/api/v1/product-units",
                {{"key", "cutie"}, {"label", {{"ro", "cutie"}, {"en", "box"}}}});
  ASSERT_EQ(201, r->status) << r->body;
  EXPECT_EQ(units["items"].size() + 1, Get("/api/v1/product-units")["items"].size());
  Product({{"code", "C1"}, {"name", "Creioane"}, {"unit", "cutie"}});
  ExpectProblem(
      Post("/api/v1/product-units", {{"key", "cutie"}, {"label", {{"ro", "c"}, {"en", "c"}}}}), 409,
      "product_unit_exists");
}

}  // namespace
}  // namespace crm::api
