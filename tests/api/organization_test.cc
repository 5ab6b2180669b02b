// The organization's details over HTTP (administrators): the defaults before
// anyone sets them, a PUT kept in normal forms, the same PUT again writing
// nothing, each wrong member named, the logo a PNG or JPEG attachment, and
// as_of.

#include <gtest/gtest.h>

#include "support/server_fixture.h"

namespace crm::api {
namespace {

constexpr const char* kPath = "/api/v1/settings/organization";

class OrganizationTest : public testing::ServerFixture {
 protected:
  httplib::Result Put(const json& body, httplib::Client* client = nullptr) {
    return (client ? client : client_.get())->Put(kPath, body.dump(), "application/json");
  }
  json Details(const std::string& query = "") {
    auto r = client_->Get(std::string(kPath) + query);
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r && r->status == 200 ? Body(r) : json();
  }
  std::string Upload(const std::string& bytes, const std::string& content_type) {
    auto r = client_->Post("/api/v1/attachments?file_name=logo", bytes, content_type);
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    return r && r->status == 201 ? Body(r)["id"].get<std::string>() : "";
  }
  static json Valid() {
    return {{"legal_name", "Brădet Construct SRL"},
            {"fiscal_code", "RO 14399840"},
            {"trade_register", "J40/1234/2020"},
            {"city", "București"},
            {"iban", "ro49 aaaa 1b31 0075 9384 0000"},
            {"phone", "0721 234 567"},
            {"email", "Office@Bradet.RO"},
            {"vat_payer", true}};
  }
};

TEST_F(OrganizationTest, DetailsAreSetInNormalFormsAndTheSameSetWritesNothing) {
  json d = Details();
  EXPECT_EQ(false, d["set"]);
  EXPECT_EQ("RON", d["default_currency"]);
  EXPECT_EQ("ro", d["default_language"]);
  EXPECT_EQ("Europe/Bucharest", d["time_zone"]);
  EXPECT_EQ("RO", d["country"]);

  auto r = Put(Valid());
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  const uint64_t first = Body(r)["position"];
  d = Details();
  EXPECT_EQ(true, d["set"]);
  EXPECT_EQ("Brădet Construct SRL", d["legal_name"]);
  EXPECT_EQ("14399840", d["fiscal_code"]);
  EXPECT_EQ("RO14399840", d["printed_fiscal_code"]);
  EXPECT_EQ("RO49AAAA1B31007593840000", d["iban"]);
  EXPECT_EQ("+40721234567", d["phone"]);
  EXPECT_EQ("office@bradet.ro", d["email"]);
  EXPECT_EQ(1, d["version"]);

  r = Put(Valid());
  ASSERT_TRUE(r && r->status == 200);
  EXPECT_EQ(1, Details()["version"]) << "the same details again are nothing to do";

  json changed = Valid();
  changed["default_language"] = "en";
  changed["time_zone"] = "UTC";
  changed["vat_payer"] = false;
  ASSERT_EQ(200, Put(changed)->status);
  d = Details();
  EXPECT_EQ("en", d["default_language"]);
  EXPECT_EQ("14399840", d["printed_fiscal_code"]);
  EXPECT_EQ(2, d["version"]);
  // As it stood after the first PUT.
  EXPECT_EQ("ro", Details("?as_of=" + std::to_string(first))["default_language"]);
}

TEST_F(OrganizationTest, WrongMembersAreNamedAndNothingIsWritten) {
  json bad = Valid();
  bad["fiscal_code"] = "14399841";
  bad["time_zone"] = "Europe/Paris";
  bad["default_currency"] = "lei";
  auto r = Put(bad);
  ExpectProblem(r, 422, "validation_failed");
  const json problem = Body(r);
  std::set<std::string> fields;
  for (const auto& e : problem["errors"]) fields.insert(e["field"].get<std::string>());
  EXPECT_EQ((std::set<std::string>{"fiscal_code", "time_zone", "default_currency"}), fields);
  EXPECT_EQ(false, Details()["set"]);

  ExpectProblem(Put({{"legal_name", "X"}, {"fiscal_code", "14399840"}, {"colour", "red"}}), 400,
                "invalid_body");
  r = Put({{"legal_name", "X"}});  // no fiscal code
  ExpectProblem(r, 422, "validation_failed");
  EXPECT_EQ("fiscal_code", Body(r)["errors"][0]["field"]);
  ExpectProblem(Put({{"legal_name", "X"}, {"fiscal_code", "14399840"}, {"vat_payer", "da"}}), 400,
                "invalid_body");

  // Only administrators read or change them.
  auto seller = NewClient(UserWithRole("vanzator", "sales"));
  ExpectProblem(seller->Get(kPath), 403, "forbidden");
  ExpectProblem(Put(Valid(), seller.get()), 403, "forbidden");
  EXPECT_EQ(false, Details()["set"]);
}

TEST_F(OrganizationTest, TheLogoIsAPngOrJpegAttachment) {
  json body = Valid();
  body["logo_attachment_id"] = "01a23480-0000-7000-8000-000000000000";
  auto r = Put(body);
  ExpectProblem(r, 422, "validation_failed");
  EXPECT_EQ("no_such_attachment", Body(r)["errors"][0]["code"]);

  body["logo_attachment_id"] = Upload("just text", "text/plain");
  r = Put(body);
  ExpectProblem(r, 422, "validation_failed");
  EXPECT_EQ("logo_not_an_image", Body(r)["errors"][0]["code"]);

  const std::string png("\x89PNG\r\n\x1a\n", 8);
  body["logo_attachment_id"] = Upload(png, "image/png");
  ASSERT_EQ(200, Put(body)->status);
  EXPECT_EQ(body["logo_attachment_id"], Details()["logo_attachment_id"]);
}

}  // namespace
}  // namespace crm::api
