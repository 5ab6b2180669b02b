// The accounts read model: the orders and matches of its lists, fed real
// events through a real store, checked against plain sorting.

#include "projections/accounts.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "domain/accounts/account.h"
#include "domain/accounts/normalize.h"
#include "domain/ids.h"
#include "domain/transact.h"
#include "support/events.h"
#include "support/temp_dir.h"
#include "workers/projection_runner.h"

namespace crm::projections {
namespace {

const char* const kNames[] = {"Ștefan", "stefan", "Ana", "Țara", "Bogdan", "Zoe", "ana", "Ion"};

class AccountsModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runner_.Register(&model_);
    eventstore::AppendRequest request;
    for (size_t i = 0; i < 2500; ++i) {
      accounts::AccountCreatedT e;
      e.account_id = "a" + std::to_string(10000 + i);
      e.code = "C-" + std::to_string(i);
      e.name = std::string(kNames[i % 8]) + (i % 3 == 0 ? "" : " " + std::to_string(i % 50));
      e.city = i % 2 ? "Brașov" : "Iași";
      e.folder_id = "root";
      names_.push_back(e.name);
      ids_.push_back(e.account_id);
      auto& part = request.parts.emplace_back();
      part.stream = accounts::AccountStream(e.account_id);
      part.events.push_back(domain::MakeEvent(e, domain::Context{}, gen_));
    }
    ASSERT_TRUE(store_->Append(std::move(request)).ok());
    ASSERT_TRUE(runner_.CatchUp().ok());
  }

  void Rename(size_t i, const std::string& name) {
    accounts::AccountChangedT e;
    e.changed = {"name"};
    e.name = name;
    names_[i] = name;
    eventstore::AppendRequest request;
    auto& part = request.parts.emplace_back();
    part.stream = accounts::AccountStream(ids_[i]);
    part.events.push_back(domain::MakeEvent(e, domain::Context{}, gen_));
    ASSERT_TRUE(store_->Append(std::move(request)).ok());
    ASSERT_TRUE(runner_.CatchUp().ok());
  }

  // The ids of rows [offset, offset+limit) of the accounts in `city` ("" for
  // all), by folded name then creation, as plain sorting says.
  std::vector<std::string> Expected(bool descending, size_t offset, size_t limit,
                                    const std::string& city = "") {
    std::vector<size_t> order;
    for (size_t i = 0; i < names_.size(); ++i) {
      if (city.empty() || (city == "Brașov") == (i % 2 == 1)) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const std::string fa = accounts::FoldText(names_[a]), fb = accounts::FoldText(names_[b]);
      return descending ? fb < fa : fa < fb;
    });
    std::vector<std::string> out;
    for (size_t k = offset; k < order.size() && k < offset + limit; ++k) {
      out.push_back(ids_[order[k]]);
    }
    return out;
  }
  std::vector<std::string> Got(bool descending, size_t offset, size_t limit,
                               const std::string& city = "") {
    AccountQuery query;
    if (!city.empty()) query.equals["city"] = {city};
    std::vector<std::string> out;
    for (const auto& row : model_.Query(query, {{"name", descending}}, offset, limit).rows) {
      out.push_back(row.id);
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_ = testing::OpenOrDie(dir_.path());
  workers::ProjectionRunner runner_{*store_};
  Accounts model_;
  domain::IdGenerator gen_;
  std::vector<std::string> names_, ids_;
};

TEST_F(AccountsModelTest, PagesByNameMatchPlainSortingBothWaysWithTies) {
  for (bool descending : {false, true}) {
    for (size_t offset : {0, 37, 1200, 2450}) {
      EXPECT_EQ(Expected(descending, offset, 50), Got(descending, offset, 50))
          << descending << " " << offset;
    }
    // Fewer matches than the index is worth: ordered the other way, same answer.
    EXPECT_EQ(Expected(descending, 10, 50, "Brașov"), Got(descending, 10, 50, "Brașov"));
  }
  EXPECT_TRUE(Got(false, 2500, 50).empty());
}

TEST_F(AccountsModelTest, RenamedAccountsMoveInTheNameOrder) {
  Rename(7, "Aaron");
  Rename(2400, "Zzz");
  Rename(9, "ștefan");  // same folded name as before: stays put among its ties
  EXPECT_EQ(ids_[7], Got(false, 0, 1)[0]);
  EXPECT_EQ(ids_[2400], Got(true, 0, 1)[0]);
  for (bool descending : {false, true}) {
    EXPECT_EQ(Expected(descending, 0, 100), Got(descending, 0, 100));
    EXPECT_EQ(Expected(descending, 2400, 100), Got(descending, 2400, 100));
  }
}

}  // namespace
}  // namespace crm::projections
