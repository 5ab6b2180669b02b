// Offers over HTTP, as a sales team uses them: a template, an offer for an
// opportunity with lines from products and free text, sent, changed into
// revision 2, both revisions as PDFs (read back with poppler's pdftotext and
// checked with qpdf), accepted, moving the opportunity to "order" in the
// same append; numbers without gaps; the list grammar and its export;
// as_of; the expiry worker across a restart; histories and user actions.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/process.h"
#include "support/server_fixture.h"
#include "support/workbook.h"

namespace crm::api {
namespace {

using testing::RunProgram;
constexpr const char* kJson = "application/json";
constexpr int64_t kDay = 86'400'000'000;

class OffersTest : public testing::ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    account_ = Created(
        "/api/v1/accounts",
        {{"name", "Ștefănescu & Țăran SRL"}, {"fiscal_code", "RO14399840"}, {"city", "Iași"}});
    opportunity_ =
        Created("/api/v1/opportunities",
                {{"account_id", account_}, {"title", "Licențe 2027"}, {"value", "1000"}});
    product_ = Created("/api/v1/products", {{"code", "LIC-1"},
                                            {"name", "Licență anuală"},
                                            {"unit", "buc"},
                                            {"price", "199.99"},
                                            {"vat_rate_key", "standard"}});
  }
  std::string Created(const std::string& path, const json& body,
                      httplib::Client* client = nullptr) {
    auto r = (client ? client : client_.get())->Post(path, body.dump(), kJson);
    EXPECT_TRUE(r && r->status == 201) << path << ": " << (r ? r->body : "no answer");
    return r && r->status == 201 ? Body(r)["id"].get<std::string>() : "";
  }
  json Get(const std::string& path) {
    auto r = client_->Get(path);
    EXPECT_TRUE(r && r->status == 200) << path << ": " << (r ? r->body : "no answer");
    return r && r->status == 200 ? Body(r) : json();
  }
  httplib::Result Post(const std::string& path, const json& body = nullptr) {
    return body.is_null() ? client_->Post(path) : client_->Post(path, body.dump(), kJson);
  }
  json Lines() const {
    return json::array({{{"product_id", product_}, {"quantity", "1.5"}},
                        {{"description", "Instalare"},
                         {"unit", "h"},
                         {"quantity", "3"},
                         {"unit_price", "150"},
                         {"discount_percent", "10"},
                         {"vat_rate_key", "reduced"}}});
  }
  std::string NewOffer(json extra = json::object()) {
    extra["opportunity_id"] = opportunity_;
    if (!extra.contains("lines")) extra["lines"] = Lines();
    return Created("/api/v1/offers", extra);
  }
  // The text of a PDF the API answered, by pdftotext; "" when it is not one.
  std::string PdfText(const std::string& path, bool layout = false) {
    auto r = client_->Get(path);
    EXPECT_TRUE(r && r->status == 200) << path << ": " << (r ? r->body : "no answer");
    if (!r || r->status != 200) return "";
    EXPECT_EQ("application/pdf", r->get_header_value("Content-Type"));
    const std::string file = (std::filesystem::path(dir_.path()) / "offer.pdf").string();
    std::ofstream(file, std::ios::binary) << r->body;
    auto [check, report] = RunProgram("/usr/bin/qpdf", {"--check", file});
    EXPECT_EQ(0, check) << report;
    std::vector<std::string> args = {"-enc", "UTF-8"};
    if (layout) args.push_back("-layout");
    args.insert(args.end(), {file, "-"});
    auto [code, text] = RunProgram("/usr/bin/pdftotext", args);
    EXPECT_EQ(0, code);
    return text;
  }
  // The types of the events of `stream`, oldest first.
  std::vector<std::string> Types(const std::string& stream) {
    std::vector<std::string> out;
    EXPECT_TRUE(store_
                    ->ReadStream(stream, 1, eventstore::Direction::kForward, 1000,
                                 [&](const eventstore::RecordedEvent& e) {
                                   out.push_back(e.envelope->type()->str());
                                   return true;
                                 })
                    .ok());
    return out;
  }

  std::string account_, opportunity_, product_;
};

TEST_F(OffersTest, TheWholeFlowFromTemplateToAcceptance) {
  ASSERT_EQ(200, client_
                     ->Put("/api/v1/settings/organization",
                           json{{"legal_name", "Brădet Construct SRL"},
                                {"fiscal_code", "14399840"},
                                {"city", "București"},
                                {"iban", "RO49AAAA1B31007593840000"},
                                {"vat_payer", true}}
                               .dump(),
                           kJson)
                     ->status);
  const std::string tmpl =
      Created("/api/v1/offer-templates",
              {{"name", "Standard"},
               {"header",
                {{"ro", "<h1>Ofertă pentru {{account.name}}</h1>"},
                 {"en", "<h1>Offer for {{account.name}}</h1>"}}},
               {"text_1",
                {{"ro",
                  "<p>Vă propunem <b>oferta {{offer.number}}</b>, valabilă până la "
                  "{{offer.valid_until}}.</p>"}}}});
  const std::string id = NewOffer({{"template_id", tmpl}});
  // Making an offer moves the opportunity on to the offer stage.
  EXPECT_EQ("offer", Get("/api/v1/opportunities/" + opportunity_ +
                         "?min_position=" + std::to_string(store_->Head()))["stage"]);
  json offer = Get("/api/v1/offers/" + id);
  EXPECT_EQ("OF-" + domain::BucharestDate(server_->NowUs()).substr(0, 4) + "-0001",
            offer["number"]);
  EXPECT_EQ("draft", offer["status"]);
  EXPECT_EQ(account_, offer["account_id"]);
  // The product's line copies its name, unit, price and rate: 1.5 × 199.99
  // = 299.985 → 299.99, VAT 21% = 62.9979 → 63.00; the free line: 3 × 150
  // less 10% = 405.00, VAT 11% = 44.55.
  ASSERT_EQ(2u, offer["lines"].size());
  EXPECT_EQ("Licență anuală", offer["lines"][0]["description"]);
  EXPECT_EQ("buc", offer["lines"][0]["unit"]);
  EXPECT_EQ("199.99", offer["lines"][0]["unit_price"]);
  EXPECT_EQ("299.99", offer["lines"][0]["net"]);
  EXPECT_EQ("63.00", offer["lines"][0]["vat"]);
  EXPECT_EQ("362.99", offer["lines"][0]["total"]);
  EXPECT_EQ("405.00", offer["lines"][1]["net"]);
  EXPECT_EQ("44.55", offer["lines"][1]["vat"]);
  EXPECT_EQ("704.99", offer["totals"]["net"]);
  EXPECT_EQ("107.55", offer["totals"]["vat"]);
  EXPECT_EQ("812.54", offer["totals"]["total"]);
  ASSERT_EQ(2u, offer["totals"]["by_vat_rate"].size());
  EXPECT_EQ("21", offer["totals"]["by_vat_rate"][0]["vat_percent"]);
  EXPECT_EQ("11", offer["totals"]["by_vat_rate"][1]["vat_percent"]);

  // The product changes later; the offer keeps what was offered.
  ASSERT_EQ(200,
            client_->Patch("/api/v1/products/" + product_, R"({"price":"250"})", kJson)->status);
  EXPECT_EQ("199.99", Get("/api/v1/offers/" + id)["lines"][0]["unit_price"]);

  ExpectProblem(Post("/api/v1/offers/" + id + "/accept"), 409, "offer_not_sent");
  ASSERT_EQ(200, Post("/api/v1/offers/" + id + "/sent")->status);
  auto changed = client_->Patch(
      "/api/v1/offers/" + id,
      json{{"lines",
            json::array(
                {{{"description", "Abonament"}, {"quantity", "2"}, {"unit_price", "0.005"}}})}}
          .dump(),
      kJson);
  ExpectProblem(changed, 422, "validation_failed");  // three decimals of a leu
  EXPECT_EQ("lines.0.unit_price", Body(changed)["errors"][0]["field"]);
  ASSERT_EQ(200, client_
                     ->Patch("/api/v1/offers/" + id,
                             json{{"lines", json::array({{{"description", "Abonament"},
                                                          {"quantity", "2"},
                                                          {"unit_price", "1000"}}})}}
                                 .dump(),
                             kJson)
                     ->status);
  offer = Get("/api/v1/offers/" + id);
  EXPECT_EQ(2, offer["revision"]);
  EXPECT_EQ("draft", offer["status"]);
  EXPECT_EQ("2420.00", offer["totals"]["total"]);
  json first = Get("/api/v1/offers/" + id + "/revisions/1");
  EXPECT_EQ("sent", first["status"]);
  EXPECT_EQ("812.54", first["totals"]["total"]);
  ExpectProblem(client_->Get("/api/v1/offers/" + id + "/revisions/3"), 404, "not_found");

  // Both revisions print, in both languages.
  const std::string one = PdfText("/api/v1/offers/" + id + "/revisions/1.pdf", true);
  EXPECT_NE(std::string::npos, one.find("Ofertă pentru Ștefănescu & Țăran SRL")) << one;
  EXPECT_NE(std::string::npos, one.find("Brădet Construct SRL"));
  EXPECT_NE(std::string::npos, one.find("RO14399840"));
  EXPECT_NE(std::string::npos, one.find("Licență anuală"));
  EXPECT_NE(std::string::npos, one.find("Instalare"));
  EXPECT_NE(std::string::npos, one.find("812,54"));
  EXPECT_NE(std::string::npos, one.find("oferta " + offer["number"].get<std::string>()));
  EXPECT_NE(std::string::npos, one.find("Pagina 1 din 1"));
  const std::string two = PdfText("/api/v1/offers/" + id + ".pdf?lang=en", true);
  EXPECT_NE(std::string::npos, two.find("Offer for Ștefănescu & Țăran SRL")) << two;
  EXPECT_NE(std::string::npos, two.find("Abonament"));
  EXPECT_NE(std::string::npos, two.find("2,420.00"));
  EXPECT_EQ(std::string::npos, two.find("Licență anuală"));
  EXPECT_NE(std::string::npos, two.find("Page 1 of 1"));
  ExpectProblem(client_->Get("/api/v1/offers/" + id + ".pdf?lang=fr"), 400, "invalid_parameter");

  ASSERT_EQ(200, Post("/api/v1/offers/" + id + "/sent")->status);
  auto accepted = Post("/api/v1/offers/" + id + "/accept");
  ASSERT_EQ(200, accepted->status) << accepted->body;
  // The opportunity moved to "order" in the acceptance's own append.
  const uint64_t at = Body(accepted)["position"];
  json moved = Get("/api/v1/opportunities/" + opportunity_ + "?min_position=" + std::to_string(at));
  EXPECT_EQ("order", moved["stage"]);
  // Where the offer's events and the opportunity's stage changes sit in the log.
  auto positions = [&](const std::string& stream, const char* type) {
    std::vector<uint64_t> out;
    EXPECT_TRUE(store_
                    ->ReadStream(stream, 1, eventstore::Direction::kForward, 100,
                                 [&](const eventstore::RecordedEvent& e) {
                                   if (e.envelope->type()->str() == type) out.push_back(e.position);
                                   return true;
                                 })
                    .ok());
    return out;
  };
  const auto created = positions("offer-" + id, "crm.offers.OfferCreated");
  const auto accepted_at = positions("offer-" + id, "crm.offers.OfferAccepted");
  const auto stages = positions("opportunity-" + opportunity_, "crm.sales.OpportunityStageChanged");
  ASSERT_EQ(1u, created.size());
  ASSERT_EQ(1u, accepted_at.size());
  ASSERT_EQ(2u, stages.size()) << "to offer with the offer, to order with its acceptance";
  EXPECT_EQ(created[0] + 1, stages[0]) << "one append, one after the other";
  EXPECT_EQ(accepted_at[0] + 1, stages[1]) << "one append, one after the other";
  ExpectProblem(Post("/api/v1/offers/" + id + "/reject"), 409, "offer_closed");

  // Histories: the offer's own, and the opportunity's and account's show it.
  json history = Get("/api/v1/offers/" + id + "/history");
  EXPECT_EQ(5, history["total"]);  // created, sent, revised, sent, accepted
  json of_opportunity = Get("/api/v1/opportunities/" + opportunity_ + "/history");
  bool shown = false;
  for (const json& item : of_opportunity["items"]) {
    shown = shown || item["summary"]["en"] == "Offer accepted (revision 2)";
  }
  EXPECT_TRUE(shown) << of_opportunity.dump();
  json of_account = Get("/api/v1/accounts/" + account_ + "/history");
  shown = false;
  for (const json& item : of_account["items"]) {
    shown = shown || item["summary"]["en"].get<std::string>().starts_with("Offer created: OF-");
  }
  EXPECT_TRUE(shown) << of_account.dump();
}

TEST_F(OffersTest, NumbersHaveNoGapsAndWrongLinesAreNamed) {
  const std::string a = NewOffer();
  auto bad = Post("/api/v1/offers", {{"opportunity_id", opportunity_},
                                     {"lines", json::array({{{"product_id", "nope"}},
                                                            {{"description", "x"},
                                                             {"unit_price", "1"},
                                                             {"quantity", "1.2345"},
                                                             {"discount_percent", "101"},
                                                             {"vat_rate_key", "reduced_9"}}})}});
  ExpectProblem(bad, 422, "validation_failed");
  std::set<std::string> fields;
  const json errors = Body(bad)["errors"];
  for (const json& e : errors)
    fields.insert(e["field"].get<std::string>() + "/" + e["code"].get<std::string>());
  EXPECT_EQ(
      (std::set<std::string>{
          "lines.0.product_id/no_such_product", "lines.1.quantity/invalid_quantity",
          "lines.1.discount_percent/invalid_percent", "lines.1.vat_rate_key/unknown_vat_rate"}),
      fields);
  ExpectProblem(Post("/api/v1/offers", {{"opportunity_id", "nope"}, {"lines", Lines()}}), 422,
                "validation_failed");
  ExpectProblem(
      Post("/api/v1/offers",
           {{"opportunity_id", opportunity_}, {"template_id", "nope"}, {"lines", Lines()}}),
      422, "validation_failed");
  const std::string b = NewOffer();
  const std::string year = domain::BucharestDate(server_->NowUs()).substr(0, 4);
  EXPECT_EQ("OF-" + year + "-0001", Get("/api/v1/offers/" + a)["number"]);
  EXPECT_EQ("OF-" + year + "-0002", Get("/api/v1/offers/" + b)["number"]) << "no gap";

  // A viewer reads offers but makes none; a sales user makes none for
  // someone else's opportunity.
  auto viewer = NewClient(UserWithRole("vera", "viewer"));
  EXPECT_EQ(403,
            viewer
                ->Post("/api/v1/offers",
                       json{{"opportunity_id", opportunity_}, {"lines", Lines()}}.dump(), kJson)
                ->status);
  auto sales = NewClient(UserWithRole("sam", "sales"));
  ExpectProblem(
      sales->Post("/api/v1/offers",
                  json{{"opportunity_id", opportunity_}, {"lines", Lines()}}.dump(), kJson),
      403, "forbidden");
  ExpectProblem(sales->Post("/api/v1/offers/" + a + "/sent"), 403, "forbidden");
}

TEST_F(OffersTest, TemplatesRefuseUnknownPlaceholdersAndUnsafeMarkup) {
  auto r = Post("/api/v1/offer-templates",
                {{"name", "Greșit"},
                 {"header", {{"ro", "<p>{{acount.name}}</p>"}, {"en", "<script>x</script>"}}},
                 {"footer", {{"ro", "<p style=\"color: red\">x</p>"}}}});
  ExpectProblem(r, 422, "validation_failed");
  std::map<std::string, std::string> codes;
  const json errors = Body(r)["errors"];
  for (const json& e : errors) codes[e["field"]] = e["code"];
  EXPECT_EQ((std::map<std::string, std::string>{{"header.ro", "unknown_placeholder"},
                                                {"header.en", "unsafe_markup"},
                                                {"footer.ro", "unsafe_markup"}}),
            codes);
  EXPECT_NE(std::string::npos, r->body.find("acount.name"));
  EXPECT_NE(std::string::npos, r->body.find("script"));
  ExpectProblem(Post("/api/v1/offer-templates",
                     {{"name", "Imagine"}, {"header", {{"ro", "<img src=\"attachment:nope\">"}}}}),
                422, "validation_failed");
  const std::string id =
      Created("/api/v1/offer-templates",
              {{"name", "Bun"}, {"footer", {{"ro", "<p>{{user.display_name}}</p>"}}}});
  json t = Get("/api/v1/offer-templates/" + id);
  EXPECT_EQ("Bun", t["name"]);
  EXPECT_EQ("<p>{{user.display_name}}</p>", t["footer"]["ro"]);
  EXPECT_EQ("", t["header"]["ro"]);
  ASSERT_EQ(200, client_->Delete("/api/v1/offer-templates/" + id)->status);
  EXPECT_EQ(0, Get("/api/v1/offer-templates")["total"]);
  EXPECT_EQ(1, Get("/api/v1/offer-templates?include_archived=true")["total"]);
  ExpectProblem(Post("/api/v1/offers",
                     {{"opportunity_id", opportunity_}, {"template_id", id}, {"lines", Lines()}}),
                422, "validation_failed");
  EXPECT_EQ(2, Get("/api/v1/offer-templates/history")["total"]);
}

TEST_F(OffersTest, ALongOfferSpansPagesWithTheHeaderOnEachAndKeepsEveryLetter) {
  // Comma-below (ș ț Ș Ț) and cedilla (ş ţ Ş Ţ) forms are different letters.
  const std::string name = "Şerban Ţepeş & Ștefan Țurcanu, ăâî ĂÂÎ";
  const std::string client = Created("/api/v1/accounts", {{"name", name}});
  const std::string deal =
      Created("/api/v1/opportunities", {{"account_id", client}, {"title", "Mare"}});
  json lines = json::array();
  for (int i = 1; i <= 200; ++i) {
    lines.push_back({{"description", "Poziția " + std::to_string(i) + " — lucrări de montaj"},
                     {"quantity", "1"},
                     {"unit_price", "1234.5"}});
  }
  const std::string id = Created("/api/v1/offers", {{"opportunity_id", deal}, {"lines", lines}});
  const std::string text = PdfText("/api/v1/offers/" + id + ".pdf");
  EXPECT_NE(std::string::npos, text.find(name)) << text.substr(0, 600);
  std::vector<std::string> pages;
  for (size_t at = 0; at < text.size();) {
    const size_t end = std::min(text.find('\f', at), text.size());
    if (end > at) pages.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_GE(pages.size(), 3u);
  const std::string count = std::to_string(pages.size());
  for (size_t p = 0; p < pages.size(); ++p) {
    const std::string& page = pages[p];
    EXPECT_NE(std::string::npos, page.find("Pagina " + std::to_string(p + 1) + " din " + count))
        << page;
    // The lines table's header on every page it goes on to.
    if (page.find("Poziția") != std::string::npos) {
      EXPECT_NE(std::string::npos, page.find("Descriere")) << "page " << p + 1;
      EXPECT_NE(std::string::npos, page.find("Preț unitar")) << "page " << p + 1;
    }
  }
  for (int i = 1; i <= 200; ++i) {
    EXPECT_NE(std::string::npos, text.find("Poziția " + std::to_string(i) + " — ")) << i;
  }
  // 200 × 1,234.50 = 246,900.00, VAT 21% = 51,849.00 on each line's 259.245 → 259.25: 51,850.00.
  EXPECT_NE(std::string::npos, text.find("246.900,00"));
  EXPECT_NE(std::string::npos, text.find("51.850,00"));
  EXPECT_NE(std::string::npos, text.find("298.750,00"));
  EXPECT_EQ("298750.00", Get("/api/v1/offers/" + id)["totals"]["total"]);
}

TEST_F(OffersTest, TheListFiltersSearchesSortsAndExports) {
  const std::string small = NewOffer();
  const std::string big = NewOffer({{"lines", json::array({{{"description", "Server rack"},
                                                            {"quantity", "10"},
                                                            {"unit_price", "5000"}}})}});
  ASSERT_EQ(200, Post("/api/v1/offers/" + big + "/sent")->status);
  json page = Get("/api/v1/offers?status=sent");
  ASSERT_EQ(1, page["total"]);
  EXPECT_EQ(big, page["items"][0]["id"]);
  EXPECT_EQ("Ștefănescu & Țăran SRL", page["items"][0]["account_name"]);
  EXPECT_EQ("Licențe 2027", page["items"][0]["opportunity_title"]);
  EXPECT_EQ(1, Get("/api/v1/offers?q=rack")["total"]);
  EXPECT_EQ(2, Get("/api/v1/offers?q=stefanescu")["total"]) << "by the account's name";
  EXPECT_EQ(1, Get("/api/v1/offers?total=10000..")["total"]);
  EXPECT_EQ(2, Get("/api/v1/offers?account_id=" + account_)["total"]);
  EXPECT_EQ(2, Get("/api/v1/offers?opportunity_id=" + opportunity_)["total"]);
  page = Get("/api/v1/offers?sort=-total&columns=number,total");
  ASSERT_EQ(2u, page["items"].size());
  EXPECT_EQ(big, page["items"][0]["id"]);
  EXPECT_EQ("60500.00", page["items"][0]["total"]);
  EXPECT_FALSE(page["items"][0].contains("status"));
  ExpectProblem(client_->Get("/api/v1/offers?colour=red"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/offers?total=lots"), 400, "invalid_parameter");
  ExpectProblem(client_->Get("/api/v1/offers?sort=colour"), 400, "invalid_parameter");
  ASSERT_EQ(200, client_->Delete("/api/v1/offers/" + small)->status);
  EXPECT_EQ(1, Get("/api/v1/offers")["total"]);
  EXPECT_EQ(2, Get("/api/v1/offers?include_archived=true")["total"]);
  auto sheet = client_->Get("/api/v1/offers.xlsx?lang=en&sort=-total");
  ASSERT_EQ(200, sheet->status);
  EXPECT_EQ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            sheet->get_header_value("Content-Type"));
  // Read back by openpyxl: English headers, names for ids, labels for
  // statuses, amounts as numbers.
  json cells = testing::ReadWorkbook(sheet->body, dir_.Sub("offers.xlsx"))["Oferte"];
  ASSERT_EQ(2u, cells.size()) << cells.dump();  // the header and the offer not archived
  EXPECT_EQ((json{"Number", "Account", "Opportunity", "Status", "Total", "Currency", "Valid until",
                  "Responsible user"}),
            cells[0]);
  EXPECT_EQ("Ștefănescu & Țăran SRL", cells[1][1]);
  EXPECT_EQ("Licențe 2027", cells[1][2]);
  EXPECT_EQ("Sent", cells[1][3]);
  EXPECT_EQ(60500.0, cells[1][4]);
  // The user-actions panel counts offers.
  json actions = Get("/api/v1/dashboard/user-actions");
  EXPECT_NE(std::string::npos, actions.dump().find("\"offer\":2")) << actions.dump();
}

TEST_F(OffersTest, TheSuppliersLogoIsDrawnAndADamagedOneLeavesTheDocumentWhole) {
  const std::string id = NewOffer();
  // A real PNG: the offer's own first page, by poppler's pdftoppm.
  auto pdf = client_->Get("/api/v1/offers/" + id + ".pdf");
  ASSERT_EQ(200, pdf->status);
  const std::filesystem::path dir(dir_.path());
  std::ofstream((dir / "in.pdf").string(), std::ios::binary) << pdf->body;
  auto [made, unused] = RunProgram(
      "/usr/bin/pdftoppm",
      {"-png", "-r", "20", "-singlefile", (dir / "in.pdf").string(), (dir / "logo").string()});
  ASSERT_EQ(0, made);
  std::ifstream in((dir / "logo.png").string(), std::ios::binary);
  const std::string png((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto images = [&](const std::string& logo) {
    auto up = client_->Post("/api/v1/attachments?file_name=logo.png", logo, "image/png");
    EXPECT_EQ(201, up->status) << up->body;
    auto set = client_->Put("/api/v1/settings/organization",
                            json{{"legal_name", "Brădet Construct SRL"},
                                 {"fiscal_code", "14399840"},
                                 {"logo_attachment_id", Body(up)["id"]}}
                                .dump(),
                            kJson);
    EXPECT_EQ(200, set->status) << set->body;
    EXPECT_NE("", PdfText("/api/v1/offers/" + id + ".pdf"));
    auto [code, list] = RunProgram("/usr/bin/pdfimages", {"-list", (dir / "offer.pdf").string()});
    EXPECT_EQ(0, code);
    // A header of two lines, then one line per image.
    return std::count(list.begin(), list.end(), '\n') - 2;
  };
  EXPECT_EQ(1, images(png));
  EXPECT_EQ(0, images(png.substr(0, png.size() / 2)));  // damaged: drawn without it
}

TEST_F(OffersTest, MyTableSettingsChooseTheOffersColumnsAndSort) {
  const std::string small = NewOffer();
  const std::string big = NewOffer(
      {{"lines",
        json::array({{{"description", "Server"}, {"quantity", "2"}, {"unit_price", "5000"}}})}});
  json table = Get("/api/v1/me/tables/offer");
  EXPECT_EQ("default", table["source"]);
  EXPECT_EQ("-created_at", table["sort"]);
  ASSERT_EQ(200, client_
                     ->Put("/api/v1/me/tables/offer",
                           json{{"columns", {"number", "total"}}, {"sort", "-total"}}.dump(), kJson)
                     ->status);
  json page = Get("/api/v1/offers?min_position=" + std::to_string(store_->Head()));
  EXPECT_EQ((json{"number", "total"}), page["columns"]);
  ASSERT_EQ(2u, page["items"].size());
  EXPECT_EQ(big, page["items"][0]["id"]) << "my sort";
  EXPECT_EQ(small, page["items"][1]["id"]);
  EXPECT_FALSE(page["items"][0].contains("status")) << "only my columns";
  ExpectProblem(client_->Put("/api/v1/me/tables/offer",
                             json{{"columns", {"number", "colour"}}}.dump(), kJson),
                422, "validation_failed");
}

TEST_F(OffersTest, AnOfferMovesWithItsAccountWhenAccountsAreMerged) {
  const std::string id = NewOffer();
  const std::string survivor = Created("/api/v1/accounts", {{"name", "Grupul Țăran SA"}});
  auto merged = Post("/api/v1/accounts/" + survivor + "/merge", {{"sources", {account_}}});
  ASSERT_EQ(200, merged->status) << merged->body;
  const std::string at = std::to_string(Body(merged)["position"].get<uint64_t>());
  EXPECT_EQ(survivor, Get("/api/v1/offers/" + id)["account_id"]);
  EXPECT_EQ(1, Get("/api/v1/offers?account_id=" + survivor + "&min_position=" + at)["total"]);
  EXPECT_EQ(0, Get("/api/v1/offers?account_id=" + account_ + "&min_position=" + at)["total"]);
  const auto types = Types("offer-" + id);
  EXPECT_EQ("crm.offers.OfferMoved", types.back());
}

TEST_F(OffersTest, AnOfferAsOfAnEarlierPosition) {
  const std::string id = NewOffer();
  const uint64_t before = Body(Post("/api/v1/offers/" + id + "/sent"))["position"];
  ASSERT_EQ(
      200,
      client_->Patch("/api/v1/offers/" + id, R"({"valid_until":"2099-12-31"})", kJson)->status);
  EXPECT_EQ(2, Get("/api/v1/offers/" + id)["revision"]);
  json then = Get("/api/v1/offers/" + id + "?as_of=" + std::to_string(before));
  EXPECT_EQ(1, then["revision"]);
  EXPECT_EQ("sent", then["status"]);
  EXPECT_EQ(1, Get("/api/v1/offers?status=sent&as_of=" + std::to_string(before))["total"]);
  EXPECT_EQ(0, Get("/api/v1/offers?status=sent")["total"]);
}

TEST_F(OffersTest, ASentOfferExpiresOnceAfterItsValidityEvenAcrossARestart) {
  const std::string today = domain::BucharestDate(server_->NowUs());
  const std::string id = NewOffer({{"valid_until", today}});
  ASSERT_EQ(200, Post("/api/v1/offers/" + id + "/sent")->status);
  const std::string draft = NewOffer({{"valid_until", today}});  // never sent: stays
  // The server is down while the validity ends...
  server_->Stop();
  thread_.join();
  server_.reset();
  clock_offset_us_ = 2 * kDay;
  auto expirations = [&] {
    const auto types = Types("offer-" + id);
    return std::count(types.begin(), types.end(), "crm.offers.OfferExpired");
  };
  EXPECT_EQ(0, expirations());
  // ... and expires it once it starts, once, also over another restart.
  api::ServerConfig config;
  config.clock_us = [this] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count() +
           clock_offset_us_.load();
  };
  for (int start = 0; start < 2; ++start) {
    server_ = std::make_unique<api::Server>(config, *store_, runner_, models_, *catalog_, log_);
    for (int i = 0; i < 200 && expirations() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(1, expirations());
    server_.reset();
  }
  const auto draft_types = Types("offer-" + draft);
  EXPECT_EQ(0, std::count(draft_types.begin(), draft_types.end(), "crm.offers.OfferExpired"));
  config.port = 0;
  server_ = std::make_unique<api::Server>(config, *store_, runner_, models_, *catalog_, log_);
  ASSERT_TRUE(server_->Bind());
  thread_ = std::thread([this] { server_->Run(); });
  admin_token_ = Login("admin", testing::kAdminPassword);  // two days on: signed in again
  client_ = NewClient(admin_token_);
  ExpectProblem(Post("/api/v1/offers/" + id + "/accept"), 409, "offer_closed");
}

}  // namespace
}  // namespace crm::api
