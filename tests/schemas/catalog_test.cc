#include "schemas/catalog.h"

#include <gtest/gtest.h>

#include "domain/event_codec.h"
#include "schemas/system_generated.h"
#include "tests/testing_generated.h"
#include "tests/testing_schema.h"

namespace crm::schemas {
namespace {

std::unique_ptr<EventCatalog> Catalog() {
  std::string error;
  auto catalog = EventCatalog::Create(testing::TestingSchemas(), &error);
  EXPECT_NE(nullptr, catalog) << error;
  return catalog;
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(EventCatalogTest, KnowsEveryModuleEventAndTheTestOnes) {
  auto catalog = Catalog();
  EXPECT_TRUE(catalog->Knows("crm.system.StoreInitialized"));
  EXPECT_TRUE(catalog->Knows("crm.testing.Incremented"));
  EXPECT_FALSE(catalog->Knows("crm.testing.Nope"));
  const auto types = catalog->Types();
  EXPECT_NE(types.end(), std::find(types.begin(), types.end(), "crm.system.StoreInitialized"));
}

TEST(EventCatalogTest, RendersAPayloadFromItsSchema) {
  auto catalog = Catalog();
  crm::testing::ResetT reset;
  reset.reason = "început de lună";  // UTF-8 survives
  const auto encoded = domain::EncodeEvent(reset);
  std::string json, error;
  ASSERT_TRUE(catalog->ToJson(encoded.type, Bytes(encoded.payload), &json, &error)) << error;
  EXPECT_EQ(R"({"reason": "început de lună"})", json);

  crm::system::StoreInitializedT init;
  init.format_version = 1;
  init.server_version = "x";
  const auto encoded2 = domain::EncodeEvent(init);
  ASSERT_TRUE(catalog->ToJson(encoded2.type, Bytes(encoded2.payload), &json, &error)) << error;
  EXPECT_EQ(R"({"format_version": 1,"server_version": "x"})", json);
}

TEST(EventCatalogTest, RefusesUnknownTypesAndBytesThatDoNotVerify) {
  auto catalog = Catalog();
  std::string json, error;
  EXPECT_FALSE(catalog->ToJson("crm.testing.Nope", Bytes("abcd"), &json, &error));
  EXPECT_NE(std::string::npos, error.find("unknown"));
  const std::string garbage(16, '\xff');
  EXPECT_FALSE(catalog->ToJson("crm.testing.Reset", Bytes(garbage), &json, &error));
  EXPECT_NE(std::string::npos, error.find("verify"));
}

TEST(EventCatalogTest, ReportsASchemaThatDoesNotParse) {
  const SchemaText broken[] = {{"broken.fbs", "namespace x; table { oops"}};
  std::string error;
  EXPECT_EQ(nullptr, EventCatalog::Create(broken, &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace crm::schemas
