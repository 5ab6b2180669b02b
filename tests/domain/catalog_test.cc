// Given/when/then tests of the products catalogue: categories, VAT rates,
// units and products.

#include <gtest/gtest.h>

#include <algorithm>

#include "domain/catalog/category.h"
#include "domain/catalog/product.h"
#include "domain/catalog/vat_rates.h"
#include "support/given_when_then.h"

namespace crm::catalog {
namespace {

using testing::GivenWhenThen;

// The field names of a validation rejection, in order.
template <class Event>
std::vector<std::string> FieldsOf(const domain::Decision<Event>& decision) {
  std::vector<std::string> fields;
  if (const auto* r = std::get_if<domain::Rejection>(&decision)) {
    for (const auto& f : r->fields) fields.push_back(f.field + ":" + f.code);
  }
  return fields;
}

// ---- Categories ------------------------------------------------------------

ProductCategoryCreatedT Created(const std::string& id, const std::string& parent,
                                const std::string& ro, const std::string& en = "") {
  ProductCategoryCreatedT e;
  e.category_id = id;
  e.parent_id = parent;
  e.name_ro = ro;
  e.name_en = en;
  return e;
}

// a > b > c: three levels; d at the top level.
std::vector<ProductCategories::Event> Tree() {
  return {Created("a", "", "Îmbrăcăminte", "Clothing"), Created("b", "a", "Bărbați", "Men"),
          Created("c", "b", "Cămăși", "Shirts"), Created("d", "", "Încălțăminte", "Footwear")};
}

ProductCategories::State TreeState() {
  return domain::Fold<ProductCategories>(ProductCategories::Initial(), Tree());
}

TEST(ProductCategoriesTest, CreatesUpToTheThirdLevel) {
  GivenWhenThen<ProductCategories>()
      .When(CreateCategory{"a", "", {"Îmbrăcăminte", "Clothing"}})
      .ThenExpect({Created("a", "", "Îmbrăcăminte", "Clothing")});
  GivenWhenThen<ProductCategories>()
      .Given({Created("a", "", "Îmbrăcăminte"), Created("b", "a", "Bărbați")})
      .When(CreateCategory{"c", "b", {"Cămăși", ""}})
      .ThenExpect({Created("c", "b", "Cămăși")});
  const auto state = TreeState();
  EXPECT_EQ(1, state.Depth("a"));
  EXPECT_EQ(3, state.Depth("c"));
  EXPECT_EQ(0, state.Depth("nowhere"));
  EXPECT_EQ(2, state.Height("a"));
}

TEST(ProductCategoriesTest, AFourthLevelIsRejected) {
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(CreateCategory{"x", "c", {"Prea adânc", ""}})
      .ThenReject("category_too_deep");
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(CreateCategory{"x", "nowhere", {"X", ""}})
      .ThenReject("category_not_found");
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(CreateCategory{"a", "", {"Altceva", ""}})
      .ThenReject("category_exists");
}

TEST(ProductCategoriesTest, AMoveThatWouldMakeAFourthLevelIsRejected) {
  // b (with c below it) under d: d > b > c, three levels: fine.
  ProductCategoryMovedT moved;
  moved.category_id = "b";
  moved.parent_id = "d";
  moved.from_parent_id = "a";
  GivenWhenThen<ProductCategories>().Given(Tree()).When(MoveCategory{"b", "d"}).ThenExpect({moved});
  // d under c: a > b > c > d, four levels.
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(MoveCategory{"d", "c"})
      .ThenReject("category_too_deep");
  // a (three levels tall) under d: four levels.
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(MoveCategory{"a", "d"})
      .ThenReject("category_too_deep");
  // To the top level and where it is already.
  ProductCategoryMovedT up;
  up.category_id = "c";
  up.parent_id = "";
  up.from_parent_id = "b";
  GivenWhenThen<ProductCategories>().Given(Tree()).When(MoveCategory{"c", ""}).ThenExpect({up});
  GivenWhenThen<ProductCategories>().Given(Tree()).When(MoveCategory{"c", "b"}).ThenExpect({});
}

TEST(ProductCategoriesTest, AMoveIntoItselfOrItsSubtreeIsACycle) {
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(MoveCategory{"a", "c"})
      .ThenReject("category_cycle");
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(MoveCategory{"b", "b"})
      .ThenReject("category_cycle");
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(MoveCategory{"b", "nowhere"})
      .ThenReject("category_not_found");
}

TEST(ProductCategoriesTest, NamesAreUniqueAmongSiblingsIgnoringCaseAndDiacritics) {
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(CreateCategory{"x", "", {"imbracaminte", ""}})
      .ThenReject("category_name_taken");
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(CreateCategory{"x", "", {"Haine", "CLOTHING"}})  // the English name too
      .ThenReject("category_name_taken");
  // Another parent: fine.
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(CreateCategory{"x", "d", {"imbracaminte", ""}})
      .ThenExpect({Created("x", "d", "imbracaminte")});
  // A rename to a sibling's name, and a move next to a namesake.
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(RenameCategory{"d", {"ÎMBRĂCĂMINTE", ""}})
      .ThenReject("category_name_taken");
  GivenWhenThen<ProductCategories>()
      .Given({Created("a", "", "Îmbrăcăminte"), Created("d", "", "Încălțăminte"),
              Created("x", "d", "imbracaminte")})
      .When(MoveCategory{"x", ""})
      .ThenReject("category_name_taken");
  // Renaming to its own name in another case is not a clash.
  ProductCategoryRenamedT renamed;
  renamed.category_id = "a";
  renamed.name_ro = "ÎMBRĂCĂMINTE";
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(RenameCategory{"a", {"ÎMBRĂCĂMINTE", ""}})
      .ThenExpect({renamed});
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(RenameCategory{"a", {"Îmbrăcăminte", "Clothing"}})
      .ThenExpect({});
  GivenWhenThen<ProductCategories>()
      .When(CreateCategory{"x", "", {"  ", "Blank"}})
      .ThenReject("validation_failed");
  GivenWhenThen<ProductCategories>()
      .When(CreateCategory{"x", "", {std::string(101, 'x'), ""}})
      .ThenReject("validation_failed");
  GivenWhenThen<ProductCategories>()
      .When(RenameCategory{"nowhere", {"X", ""}})
      .ThenReject("category_not_found");
}

TEST(ProductCategoriesTest, DeletesOnlyACategoryWithoutSubcategoriesOrProducts) {
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(DeleteCategory{"b", false})
      .ThenReject("category_not_empty");
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(DeleteCategory{"c", true})
      .ThenReject("category_in_use");
  ProductCategoryDeletedT deleted;
  deleted.category_id = "c";
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(DeleteCategory{"c", false})
      .ThenExpect({deleted});
  GivenWhenThen<ProductCategories>()
      .Given(Tree())
      .When(DeleteCategory{"nowhere", false})
      .ThenReject("category_not_found");
  auto tree = Tree();
  tree.push_back(deleted);
  const auto state = domain::Fold<ProductCategories>(ProductCategories::Initial(), tree);
  EXPECT_FALSE(state.nodes.count("c"));
  EXPECT_FALSE(state.HasChildren("b"));
  // Conflicts answer 409.
  auto decision = ProductCategories::Decide(TreeState(), DeleteCategory{"a", false}, {});
  EXPECT_EQ(409, std::get<domain::Rejection>(decision).http_status);
}

TEST(ProductCategoriesTest, SelfAndDescendantsListsASubtreeSelfFirst) {
  const auto state = TreeState();
  EXPECT_EQ((std::vector<std::string>{"a", "b", "c"}), SelfAndDescendants(state, "a"));
  EXPECT_EQ((std::vector<std::string>{"c"}), SelfAndDescendants(state, "c"));
  EXPECT_EQ((std::vector<std::string>{"d"}), SelfAndDescendants(state, "d"));
  EXPECT_TRUE(SelfAndDescendants(state, "nowhere").empty());
  EXPECT_TRUE(SelfAndDescendants(state, "").empty());
}

// ---- VAT rates -------------------------------------------------------------

TEST(VatRatesTest, TheDefaultTableHoldsRomaniasRatesSinceAugust2025) {
  const auto state = VatRates::Initial();
  ASSERT_EQ(7u, state.rates.size());
  for (const char* key :
       {"standard", "reduced", "zero", "reverse_charge", "standard_19", "reduced_9", "reduced_5"}) {
    EXPECT_TRUE(KnownKey(state, key)) << key;
  }
  EXPECT_FALSE(KnownKey(state, "luxury"));
  EXPECT_EQ((std::vector<std::string>{"standard", "reduced", "zero", "reverse_charge",
                                      "standard_19", "reduced_9", "reduced_5"}),
            VatKeys(state));
  const auto zero = RateOn(state, "zero", "2026-01-15");
  ASSERT_TRUE(zero.has_value());
  EXPECT_EQ(0, zero->percent_basis_points);
  EXPECT_EQ("Scutit", zero->label.ro);
  EXPECT_EQ("Exempt", zero->label.en);
  EXPECT_EQ("Taxare inversă", RateOn(state, "reverse_charge", "2026-01-15")->label.ro);
  EXPECT_EQ(1100, RateOn(state, "reduced", "2025-08-01")->percent_basis_points);
  // The default table is valid input to SetVatRates (and setting it is a no-op).
  GivenWhenThen<VatRates>().When(SetVatRates{DefaultVatRates()}).ThenExpect({});
}

TEST(VatRatesTest, RateOnGivesTheRateValidThatDay) {
  const auto state = VatRates::Initial();
  const auto old = RateOn(state, "standard_19", "2025-07-31");
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(1900, old->percent_basis_points);
  EXPECT_FALSE(RateOn(state, "standard", "2025-07-31").has_value());
  const auto now = RateOn(state, "standard", "2025-08-01");
  ASSERT_TRUE(now.has_value());
  EXPECT_EQ(2100, now->percent_basis_points);
  EXPECT_FALSE(RateOn(state, "standard_19", "2025-08-01").has_value());
  EXPECT_EQ(900, RateOn(state, "reduced_9", "2025-07-31")->percent_basis_points);
  EXPECT_EQ(500, RateOn(state, "reduced_5", "2024-03-01")->percent_basis_points);
  EXPECT_TRUE(RateOn(state, "standard", "2099-12-31").has_value());  // open-ended
  EXPECT_FALSE(RateOn(state, "unknown", "2025-08-01").has_value());
  EXPECT_FALSE(RateOn(state, "standard", "2025-13-01").has_value());
  EXPECT_FALSE(RateOn(state, "standard", "").has_value());
}

TEST(VatRatesTest, SetReplacesTheTable) {
  const std::vector<VatRate> rates = {
      {"standard", {"Cota standard 21%", "Standard rate 21%"}, 2100, "2025-08-01", ""},
      {"standard_2024", {"Cota 19%", "19% rate"}, 1900, "2024-01-01", "2025-07-31"}};
  VatRatesSetT set;
  for (const auto& r : rates) {
    auto t = std::make_unique<VatRateEntryT>();
    t->key = r.key;
    t->label_ro = r.label.ro;
    t->label_en = r.label.en;
    t->percent_basis_points = r.percent_basis_points;
    t->valid_from = r.valid_from;
    t->valid_to = r.valid_to;
    set.rates.push_back(std::move(t));
  }
  GivenWhenThen<VatRates>().When(SetVatRates{rates}).ThenExpect({set});
  const auto state = VatRates::Evolve(VatRates::Initial(), set);
  EXPECT_EQ(rates, state.rates);
  EXPECT_FALSE(KnownKey(state, "reduced"));
  EXPECT_EQ(1900, RateOn(state, "standard_2024", "2024-01-01")->percent_basis_points);
  EXPECT_FALSE(RateOn(state, "standard_2024", "2023-12-31").has_value());
  // The same table again: nothing to do.
  GivenWhenThen<VatRates>().Given({VatRatesSetT(set)}).When(SetVatRates{rates}).ThenExpect({});
}

TEST(VatRatesTest, RefusesBadKeysPercentagesAndDates) {
  const std::vector<VatRate> bad = {
      {"standard", {"Standard", "Standard"}, 2100, "2025-08-01", ""},
      {"standard", {"Dublă", "Twice"}, 2100, "2025-08-01", ""},                 // 1: duplicate
      {"Reduced-11", {"Redusă", "Reduced"}, 1100, "2025-08-01", ""},            // 2: bad key
      {"big", {"Mare", "Big"}, 10001, "2025-08-01", ""},                        // 3: out of range
      {"neg", {"Negativ", "Negative"}, -1, "2025-08-01", ""},                   // 4: out of range
      {"when", {"Când", "When"}, 500, "2025-02-30", "2025-13-01"},              // 5: bad dates
      {"inverted", {"Inversat", "Inverted"}, 500, "2025-08-01", "2025-07-31"},  // 6
      {"", {"", "No label"}, 500, "", ""},                                      // 7
  };
  auto decision = VatRates::Decide(VatRates::Initial(), SetVatRates{bad}, {});
  ASSERT_TRUE(std::holds_alternative<domain::Rejection>(decision));
  EXPECT_EQ("validation_failed", std::get<domain::Rejection>(decision).code);
  EXPECT_EQ(422, std::get<domain::Rejection>(decision).http_status);
  EXPECT_EQ((std::vector<std::string>{
                "rates.1.key:duplicate",
                "rates.2.key:invalid_key",
                "rates.3.percent_basis_points:out_of_range",
                "rates.4.percent_basis_points:out_of_range",
                "rates.5.valid_from:invalid_date",
                "rates.5.valid_to:invalid_date",
                "rates.6.valid_to:before_valid_from",
                "rates.7.key:invalid_key",
                "rates.7.label:invalid_label",
                "rates.7.valid_from:invalid_date",
            }),
            FieldsOf(decision));
  GivenWhenThen<VatRates>().When(SetVatRates{{}}).ThenReject("validation_failed");
  // A key of 40 characters is fine, of 41 not; one day of validity is fine.
  GivenWhenThen<VatRates>()
      .When(SetVatRates{{{std::string(41, 'a'), {"A", "A"}, 0, "2025-01-01", ""}}})
      .ThenReject("validation_failed");
  auto ok = VatRates::Decide(
      VatRates::Initial(),
      SetVatRates{{{std::string(40, 'a'), {"A", "A"}, 10000, "2025-01-01", "2025-01-01"}}}, {});
  EXPECT_TRUE(std::holds_alternative<std::vector<VatRates::Event>>(ok));
}

// ---- Units -----------------------------------------------------------------

TEST(ProductUnitsTest, TheUnitsListStartsWithTheCommonUnitsAndGrows) {
  const auto state = ProductUnits::Initial();
  EXPECT_EQ((std::vector<std::string>{"buc", "kg", "m", "m2", "l", "h", "zi", "luna", "an", "set"}),
            state.Keys());
  EXPECT_EQ("bucată", state.types[0].label.ro);
  EXPECT_EQ("m²", state.types[3].label.ro);
  ProductUnitAddedT added;
  added.key = "palet";
  added.label_ro = "palet";
  added.label_en = "pallet";
  GivenWhenThen<ProductUnits>()
      .When(sales::AddType{{"palet", {"palet", "pallet"}}})
      .ThenExpect({added});
  GivenWhenThen<ProductUnits>()
      .When(sales::AddType{{"kg", {"kilogram", "kilogram"}}})
      .ThenReject("product_unit_exists");
  EXPECT_EQ("product-units", std::string(kProductUnitsStream));
}

// ---- Products --------------------------------------------------------------

ProductRefs Refs() {
  ProductRefs refs;
  refs.category_ids = {"cat-1", "cat-2"};
  refs.units = ProductUnits::Initial().Keys();
  refs.vat_rate_keys = VatKeys(VatRates::Initial());
  refs.rules.custom_fields = {{"color", "select", {"red", "blue"}, true}};
  return refs;
}

CreateProduct Create() {
  CreateProduct c;
  c.product_id = "p1";
  c.input.code = "TRI-001";
  c.input.name = "Tricou bumbac";
  c.input.category_id = "cat-1";
  c.input.unit = "buc";
  c.input.price = "12.5";
  c.refs = Refs();
  return c;
}

ProductCreatedT ProductMade() {
  ProductCreatedT e;
  e.product_id = "p1";
  e.code = "TRI-001";
  e.name = "Tricou bumbac";
  e.category_id = "cat-1";
  e.unit = "buc";
  e.price_minor = 1250;
  e.currency = "RON";
  e.vat_rate_key = "standard";
  e.active = true;
  return e;
}

Product::State Folded(const std::vector<Product::Event>& events) {
  return domain::Fold<Product>(Product::Initial(), events);
}

TEST(ProductTest, CreatesWithThePriceInMinorUnitsAndDefaults) {
  GivenWhenThen<Product>().When(Create()).ThenExpect({ProductMade()});
  const auto state = Folded({ProductMade()});
  EXPECT_TRUE(state.exists);
  EXPECT_EQ(1250, state.price_minor);
  EXPECT_EQ("RON", state.currency);
  EXPECT_EQ("standard", state.vat_rate_key);
  EXPECT_TRUE(state.active);
  // Everything given.
  auto full = Create();
  full.input.description = "100% bumbac";
  full.input.price = "0.07";
  full.input.currency = "EUR";
  full.input.vat_rate_key = "reduced";
  full.input.active = false;
  full.input.custom = {{"color", "red"}};
  auto made = ProductMade();
  made.description = "100% bumbac";
  made.price_minor = 7;
  made.currency = "EUR";
  made.vat_rate_key = "reduced";
  made.active = false;
  made.custom = accounts::CustomValues({{"color", "red"}});
  GivenWhenThen<Product>().When(full).ThenExpect({made});
  EXPECT_EQ("red", Folded({made}).custom.at("color"));
  GivenWhenThen<Product>().Given({ProductMade()}).When(Create()).ThenReject("product_exists");
}

TEST(ProductTest, ValidationNamesEveryWrongField) {
  auto bad = Create();
  bad.input.code = "";
  bad.input.name = std::string(201, 'x');
  bad.input.category_id = "cat-9";
  bad.input.unit = "barrel";
  bad.input.price = "12.345";
  bad.input.currency = "lei";
  bad.input.vat_rate_key = "luxury";
  bad.input.custom = {{"color", "green"}, {"nope", "x"}};
  auto decision = Product::Decide(Product::Initial(), bad, {});
  ASSERT_TRUE(std::holds_alternative<domain::Rejection>(decision));
  EXPECT_EQ(422, std::get<domain::Rejection>(decision).http_status);
  EXPECT_EQ(
      (std::vector<std::string>{"code:required", "name:too_long", "category_id:unknown_category",
                                "unit:unknown_unit", "price:invalid_money",
                                "currency:invalid_currency", "vat_rate_key:unknown_vat_rate",
                                "custom.color:invalid_value", "custom.nope:unknown_field"}),
      FieldsOf(decision));
  // Absent required members are refused too.
  CreateProduct bare;
  bare.product_id = "p1";
  bare.refs = Refs();
  EXPECT_EQ((std::vector<std::string>{"code:required", "name:required", "unit:required"}),
            FieldsOf(Product::Decide(Product::Initial(), bare, {})));
  // Field rules of the entity "product" make more fields required.
  auto ruled = Create();
  ruled.refs.rules.required = {"description", "custom.color"};
  EXPECT_EQ((std::vector<std::string>{"description:required", "custom.color:required"}),
            FieldsOf(Product::Decide(Product::Initial(), ruled, {})));
  auto long_code = Create();
  long_code.input.code = std::string(51, 'C');
  EXPECT_EQ((std::vector<std::string>{"code:too_long"}),
            FieldsOf(Product::Decide(Product::Initial(), long_code, {})));
  // No category is fine.
  auto uncategorized = Create();
  uncategorized.input.category_id = "";
  auto made = ProductMade();
  made.category_id = "";
  GivenWhenThen<Product>().When(uncategorized).ThenExpect({made});
}

TEST(ProductTest, TheCodeIsAUniqueValueNamedByItsClaimStream) {
  EXPECT_EQ("product-code-tri-001", ProductCodeClaim("TRI-001"));
  EXPECT_EQ("product-code-camasa-s", ProductCodeClaim("CĂMAȘĂ-S"));
  EXPECT_TRUE(ProductClaims(Product::Initial()).empty());
  auto state = Folded({ProductMade()});
  const auto claims = ProductClaims(state);
  ASSERT_EQ(1u, claims.size());
  const auto& [stream, value] = *claims.begin();
  EXPECT_EQ("product-code-tri-001", stream);
  EXPECT_TRUE(value.enforced);
  EXPECT_EQ("product_code_taken", value.taken.code);
  EXPECT_EQ(409, value.taken.http_status);
  ASSERT_EQ(1u, value.taken.fields.size());
  EXPECT_EQ("code", value.taken.fields[0].field);
  // Surrounding spaces are not part of the code.
  auto spaced = Create();
  spaced.input.code = "  TRI-001 ";
  GivenWhenThen<Product>().When(spaced).ThenExpect({ProductMade()});
  // An empty or blank code is refused, on create and on change.
  auto blank = Create();
  blank.input.code = "   ";
  GivenWhenThen<Product>().When(blank).ThenReject("validation_failed");
  ChangeProduct clear;
  clear.input.code = "";
  clear.refs = Refs();
  EXPECT_EQ((std::vector<std::string>{"code:required"}),
            FieldsOf(Product::Decide(state, clear, {})));
  // Archiving releases the code; restoring takes it again.
  state = Product::Evolve(std::move(state), ProductArchivedT{});
  EXPECT_TRUE(ProductClaims(state).empty());
  state = Product::Evolve(std::move(state), ProductRestoredT{});
  EXPECT_EQ(1u, ProductClaims(state).count("product-code-tri-001"));
  // A changed code is a new claim.
  ProductChangedT recoded;
  recoded.changed = {"code"};
  recoded.code = "TRI-002";
  state = Product::Evolve(std::move(state), recoded);
  EXPECT_EQ(1u, ProductClaims(state).count("product-code-tri-002"));
}

TEST(ProductTest, ChangeIsAMergePatchNamingWhatChanged) {
  ChangeProduct change;
  change.input.price = "99.90";
  change.input.vat_rate_key = "reduced";
  change.input.name = "Tricou bumbac";  // as it is: not a change
  change.input.custom = {{"color", "blue"}};
  change.refs = Refs();
  ProductChangedT changed;
  changed.changed = {"price", "vat_rate_key"};
  changed.code = "TRI-001";
  changed.name = "Tricou bumbac";
  changed.category_id = "cat-1";
  changed.unit = "buc";
  changed.price_minor = 9990;
  changed.currency = "RON";
  changed.vat_rate_key = "reduced";
  changed.active = true;
  changed.custom = accounts::CustomValues({{"color", "blue"}});
  GivenWhenThen<Product>().Given({ProductMade()}).When(change).ThenExpect({changed});
  const auto state = Folded({ProductMade(), changed});
  EXPECT_EQ(9990, state.price_minor);
  EXPECT_EQ("reduced", state.vat_rate_key);
  EXPECT_EQ("Tricou bumbac", state.name);  // untouched
  EXPECT_EQ("cat-1", state.category_id);
  EXPECT_EQ("blue", state.custom.at("color"));

  // Nothing different: nothing to do.
  ChangeProduct same;
  same.input.price = "12.50";
  same.input.unit = "buc";
  same.refs = Refs();
  GivenWhenThen<Product>().Given({ProductMade()}).When(same).ThenExpect({});

  // Deactivating, leaving the category, clearing a custom value.
  ChangeProduct off;
  off.input.active = false;
  off.input.category_id = "";
  off.input.custom = {{"color", ""}};
  off.refs = Refs();
  auto after = Product::Decide(Folded({ProductMade(), changed}), off, {});
  ASSERT_TRUE(std::holds_alternative<std::vector<Product::Event>>(after));
  const auto& e = std::get<ProductChangedT>(std::get<std::vector<Product::Event>>(after).at(0));
  EXPECT_EQ((std::vector<std::string>{"category_id", "active"}), e.changed);
  ASSERT_EQ(1u, e.custom.size());
  EXPECT_EQ("", e.custom[0]->value);
  const auto cleared = Product::Evolve(Folded({ProductMade(), changed}), e);
  EXPECT_FALSE(cleared.active);
  EXPECT_EQ("", cleared.category_id);
  EXPECT_FALSE(cleared.custom.count("color"));

  // A reference is checked only when it changes: a VAT key that left the
  // table does not stop a rename, but a new unknown key is refused.
  ChangeProduct rename;
  rename.input.name = "Tricou";
  rename.input.vat_rate_key = "standard";
  rename.refs = Refs();
  rename.refs.vat_rate_keys = {"standard_2026"};
  GivenWhenThen<Product>().Given({ProductMade()}).When(rename).ThenExpect({[] {
    ProductChangedT r;
    r.changed = {"name"};
    r.code = "TRI-001";
    r.name = "Tricou";
    r.category_id = "cat-1";
    r.unit = "buc";
    r.price_minor = 1250;
    r.currency = "RON";
    r.vat_rate_key = "standard";
    r.active = true;
    return r;
  }()});
  ChangeProduct wrong;
  wrong.input.vat_rate_key = "luxury";
  wrong.input.unit = "barrel";
  wrong.input.category_id = "cat-9";
  wrong.input.price = "1,5";
  wrong.refs = Refs();
  EXPECT_EQ((std::vector<std::string>{"category_id:unknown_category", "unit:unknown_unit",
                                      "price:invalid_money", "vat_rate_key:unknown_vat_rate"}),
            FieldsOf(Product::Decide(Folded({ProductMade()}), wrong, {})));
  GivenWhenThen<Product>().When(change).ThenReject("product_not_found");
}

TEST(ProductTest, ArchiveAndRestore) {
  GivenWhenThen<Product>()
      .Given({ProductMade()})
      .When(ArchiveProduct{})
      .ThenExpect({ProductArchivedT{}});
  GivenWhenThen<Product>()
      .Given({ProductMade(), ProductArchivedT{}})
      .When(ArchiveProduct{})
      .ThenExpect({});
  ChangeProduct change;
  change.input.name = "Altul";
  change.refs = Refs();
  GivenWhenThen<Product>()
      .Given({ProductMade(), ProductArchivedT{}})
      .When(change)
      .ThenReject("product_archived");
  GivenWhenThen<Product>()
      .Given({ProductMade(), ProductArchivedT{}})
      .When(RestoreProduct{})
      .ThenExpect({ProductRestoredT{}});
  GivenWhenThen<Product>().Given({ProductMade()}).When(RestoreProduct{}).ThenExpect({});
  GivenWhenThen<Product>()
      .Given({ProductMade(), ProductArchivedT{}, ProductRestoredT{}})
      .When(change)
      .ThenExpect({[] {
        ProductChangedT r;
        r.changed = {"name"};
        r.code = "TRI-001";
        r.name = "Altul";
        r.category_id = "cat-1";
        r.unit = "buc";
        r.price_minor = 1250;
        r.currency = "RON";
        r.vat_rate_key = "standard";
        r.active = true;
        return r;
      }()});
  GivenWhenThen<Product>().When(ArchiveProduct{}).ThenReject("product_not_found");
  GivenWhenThen<Product>().When(RestoreProduct{}).ThenReject("product_not_found");
  EXPECT_EQ("product-p1", ProductStream("p1"));
}

static_assert(domain::Decider<ProductCategories>);
static_assert(domain::Decider<VatRates>);
static_assert(domain::Decider<Product>);
static_assert(domain::Decider<ProductUnits>);

}  // namespace
}  // namespace crm::catalog
