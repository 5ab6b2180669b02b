// Importing accounts from spreadsheets made by real programs, and the template.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/process.h"
#include "support/server_fixture.h"
#include "support/workbook.h"

namespace crm::api {
namespace {

using nlohmann::json;

constexpr const char* kXlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

class AccountImportTest : public testing::ServerFixture {
 protected:
  // Writes `rows` (the first is the header) to an .xlsx file with
  // python3-openpyxl and returns its bytes.
  std::string Workbook(const json& rows) {
    const std::string file = dir_.Sub("import-" + std::to_string(++files_) + ".xlsx");
    auto [code, out] = testing::RunProgram("/usr/bin/python3",
                                           {"-c",
                                            "import json, sys, openpyxl\n"
                                            "wb = openpyxl.Workbook()\n"
                                            "ws = wb.active\n"
                                            "ws.title = 'Conturi'\n"
                                            "for row in json.loads(sys.argv[2]): ws.append(row)\n"
                                            "wb.save(sys.argv[1])\n",
                                            file, rows.dump()});
    EXPECT_EQ(0, code) << out;
    std::ifstream in(file, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    return bytes.str();
  }
  json Import(const std::string& bytes, const std::string& query = "",
              const std::string& type = kXlsx) {
    auto r = client_->Post("/api/v1/accounts/import" + query, bytes, type);
    EXPECT_EQ(200, r->status) << r->body;
    return r->status == 200 ? Body(r) : json();
  }
  json List(const std::string& query) {
    auto r =
        client_->Get("/api/v1/accounts?columns=all&min_position=" + std::to_string(store_->Head()) +
                     "&" + query);
    EXPECT_EQ(200, r->status) << r->body;
    return Body(r);
  }
  int files_ = 0;
};

TEST_F(AccountImportTest, ImportsGoodRowsReportsBadOnesAndTheSameFileTwiceCreatesNothing) {
  ASSERT_EQ(201,
            client_->Post("/api/v1/folders", json{{"name", "Clienți"}}.dump(), "application/json")
                ->status);
  ASSERT_EQ(201, client_
                     ->Post("/api/v1/accounts", json{{"code", "X-1"}, {"name", "Vechi"}}.dump(),
                            "application/json")
                     ->status);
  const std::string file = Workbook(json::array({
      {"Cod", "Nume", "Cod fiscal", "Localitate", "Plătitor TVA", "Dosar", "E-mail", "Telefon"},
      {"", "Țesătoria Ștefan SRL", "RO14399840", "Brașov", "da", "Clienți", "office@tes.ro",
       "0268 123 456"},
      {"", "Fără cod fiscal bun", "RO14399841", "Iași", "", "", "", ""},
      {"", "", "", "Arad", "", "", "", ""},
      {"X-1", "Vechi dar nou", "", "Sibiu", "nu", "", "", ""},
      {"", "Șoimul", "", "Constanța", "poate", "", "", ""},
      {"", "Fără dosar", "", "", "", "Nicăieri", "", ""},
      {"K-7", "Ana Pop", "", "Timișoara", "", "", "ana@pop.ro", ""},
      json::array(),
      {"", "Fără cod", "", "Cluj-Napoca", "", "", "", ""},
  }));
  json report = Import(file);
  EXPECT_EQ(8u, report["rows"]);  // the empty row does not count
  EXPECT_EQ(3u, report["created"]) << report.dump();
  EXPECT_EQ(1u, report["updated"]);
  ASSERT_EQ(4u, report["rejected"].size()) << report.dump();
  EXPECT_EQ(3u, report["rejected"][0]["row"]);  // sheet row numbers, header = 1
  EXPECT_EQ("fiscal_code", report["rejected"][0]["errors"][0]["field"]);
  EXPECT_EQ(4u, report["rejected"][1]["row"]);
  EXPECT_EQ("name", report["rejected"][1]["errors"][0]["field"]);
  EXPECT_EQ(6u, report["rejected"][2]["row"]);
  EXPECT_EQ("vat_payer", report["rejected"][2]["errors"][0]["field"]);
  EXPECT_EQ(7u, report["rejected"][3]["row"]);
  EXPECT_EQ("folder_id", report["rejected"][3]["errors"][0]["field"]);
  EXPECT_FALSE(report["rejected"][3]["errors"][0]["message"]["ro"].get<std::string>().empty());

  auto found = List("q=tesatoria");
  ASSERT_EQ(1u, found["total"]);
  const json& t = found["items"][0];
  EXPECT_EQ("14399840", t["fiscal_code"]);
  EXPECT_EQ("+40268123456", t["phone"]);
  EXPECT_EQ(true, t["vat_payer"]);
  EXPECT_NE("root", t["folder_id"]);
  EXPECT_EQ("Vechi dar nou", List("code=X-1")["items"][0]["name"]);
  EXPECT_EQ("Sibiu", List("code=X-1")["items"][0]["city"]);
  const size_t total = List("")["total"];
  EXPECT_EQ(4u, total);  // X-1 and the three created

  // The same file again: nothing new, nothing changed.
  const uint64_t head = store_->Head();
  report = Import(file);
  EXPECT_EQ(0u, report["created"]) << report.dump();
  EXPECT_EQ(0u, report["updated"]);
  EXPECT_EQ(4u, report["unchanged"]);
  EXPECT_EQ(4u, report["rejected"].size());
  EXPECT_EQ(head, store_->Head());
  EXPECT_EQ(total, List("")["total"]);
  // A dry run of it says the same.
  report = Import(file, "?dry_run=true");
  EXPECT_EQ(0u, report["created"]) << report.dump();
  EXPECT_EQ(4u, report["unchanged"]);

  // A dry run validates and writes nothing.
  const std::string other =
      Workbook(json::array({{"Nume", "Localitate"}, {"Nou", "Deva"}, {"Ţară veche", "Galaţi"}}));
  report = Import(other, "?dry_run=true");
  EXPECT_EQ(2u, report["created"]);
  // Within one dry run, a later row matches an earlier one, and claims count.
  ASSERT_EQ(200, client_
                     ->Put("/api/v1/settings/fields/account", json{{"unique", {"email"}}}.dump(),
                           "application/json")
                     ->status);
  const std::string twice = Workbook(json::array({{"Cod", "Nume", "E-mail"},
                                                  {"N-1", "Nou", "nou@firma.ro"},
                                                  {"N-1", "Nou și schimbat", "nou@firma.ro"},
                                                  {"N-2", "Altul", "ana@pop.ro"}}));
  report = Import(twice, "?dry_run=true");
  EXPECT_EQ(1u, report["created"]) << report.dump();
  EXPECT_EQ(1u, report["updated"]);
  ASSERT_EQ(1u, report["rejected"].size());
  EXPECT_EQ("email", report["rejected"][0]["errors"][0]["field"]);
  const uint64_t after_rules = store_->Head();
  EXPECT_EQ(true, report["dry_run"]);
  EXPECT_EQ(after_rules, store_->Head());
  // ... and the real runs do what the dry runs said.
  EXPECT_EQ(2u, Import(other)["created"]);
  report = Import(twice);
  EXPECT_EQ(1u, report["created"]) << report.dump();
  EXPECT_EQ(1u, report["updated"]);
  EXPECT_EQ(1u, report["rejected"].size());
  EXPECT_EQ(1u, List("q=tara%20galati")["total"]);  // cedilla forms folded
}

TEST_F(AccountImportTest, CsvWithSemicolonsAndEnglishHeadersMatchesByFiscalCode) {
  ASSERT_EQ(201, client_
                     ->Post("/api/v1/accounts",
                            json{{"name", "Alfa"}, {"fiscal_code", "14399840"}}.dump(),
                            "application/json")
                     ->status);
  const std::string csv =
      "\xEF\xBB\xBFname;fiscal_code;city;vat_payer\r\n"
      "Alfa Nouă;RO 14399840;\"Cluj; centru\";da\r\n"
      "Beta;;Arad;nu\r\n";
  json report = Import(csv, "", "text/csv; charset=utf-8");
  EXPECT_EQ(1u, report["updated"]) << report.dump();
  EXPECT_EQ(1u, report["created"]);
  auto alfa = List("fiscal_code=14399840");
  ASSERT_EQ(1u, alfa["total"]);
  EXPECT_EQ("Alfa Nouă", alfa["items"][0]["name"]);
  EXPECT_EQ("Cluj; centru", alfa["items"][0]["city"]);
}

TEST_F(AccountImportTest, BadFilesAreRefusedWholeWithAClearProblem) {
  ExpectProblem(client_->Post("/api/v1/accounts/import", "{}", "application/json"), 415,
                "unsupported_media_type");
  ExpectProblem(client_->Post("/api/v1/accounts/import", "PK\x03\x04 not really", kXlsx), 422,
                "validation_failed");
  ExpectProblem(client_->Post("/api/v1/accounts/import", "", "text/csv"), 422, "validation_failed");
  auto r = client_->Post("/api/v1/accounts/import",
                         Workbook(json::array({{"Nume", "Planetă"}, {"A", "Marte"}})), kXlsx);
  ExpectProblem(r, 422, "validation_failed");
  EXPECT_EQ("unknown_column", Body(r)["errors"][0]["code"]);
  ExpectProblem(client_->Post("/api/v1/accounts/import", "city\nArad\n", "text/csv"), 422,
                "validation_failed");
  auto viewer = NewClient(UserWithRole("vera", "viewer"));
  const uint64_t head = store_->Head();
  ExpectProblem(viewer->Post("/api/v1/accounts/import", "name\nA\n", "text/csv"), 403, "forbidden");
  EXPECT_EQ(head, store_->Head());
}

TEST_F(AccountImportTest, TheTemplateHasOneDocumentedColumnPerFieldAndImportsAsIs) {
  ASSERT_EQ(201, client_
                     ->Post("/api/v1/custom-fields",
                            json{{"entity", "account"},
                                 {"key", "since"},
                                 {"label", {{"ro", "Client din"}, {"en", "Customer since"}}},
                                 {"type", "date"}}
                                .dump(),
                            "application/json")
                     ->status);
  auto r = client_->Get("/api/v1/accounts/import-template.xlsx");
  ASSERT_EQ(200, r->status) << r->body;
  EXPECT_EQ(kXlsx, r->get_header_value("Content-Type"));
  const std::string file = dir_.Sub("template.xlsx");
  const json sheets = testing::ReadWorkbook(r->body, file);
  const json& header = sheets["Conturi"][0];
  EXPECT_EQ("Cod", header[0]);
  EXPECT_EQ("Nume", header[1]);
  EXPECT_EQ("Dosar", header[16]);
  EXPECT_EQ("Client din", header[18]);
  EXPECT_EQ(header.size() + 1, sheets["Explicații"].size());  // one line per column
  EXPECT_EQ("custom.since", sheets["Explicații"][19][1]);

  // Filled in by a spreadsheet program (a date cell is a date), it imports.
  const std::string filled = dir_.Sub("filled.xlsx");
  auto [code2, out2] =
      testing::RunProgram("/usr/bin/python3", {"-c",
                                               "import sys, datetime, openpyxl\n"
                                               "wb = openpyxl.load_workbook(sys.argv[1])\n"
                                               "ws = wb['Conturi']\n"
                                               "row = [None] * ws.max_column\n"
                                               "row[1] = 'Întreprinderea Ţesătorul'\n"
                                               "row[18] = datetime.date(2024, 3, 1)\n"
                                               "ws.append(row)\n"
                                               "wb.save(sys.argv[2])\n",
                                               file, filled});
  ASSERT_EQ(0, code2) << out2;
  std::ifstream in(filled, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  json report = Import(bytes.str());
  EXPECT_EQ(1u, report["created"]) << report.dump();
  auto found = List("q=intreprinderea");
  ASSERT_EQ(1u, found["total"]);
  EXPECT_EQ("2024-03-01", found["items"][0]["custom"]["since"]);
}

}  // namespace
}  // namespace crm::api
