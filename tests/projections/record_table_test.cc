// The record table under the opportunities model: a sort by one field walks
// a kept order that events update row by row (or rebuild when many
// changed); its pages must always equal plain sorting, also after changes,
// new rows and a stage order that differs between queries. Filters and
// searches read what the table keeps beside the rows (key columns, search
// texts); they must always select what the rows themselves say.

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <random>
#include <shared_mutex>

#include "domain/ids.h"
#include "domain/sales/opportunity.h"
#include "domain/transact.h"
#include "projections/opportunities.h"
#include "support/events.h"
#include "support/temp_dir.h"
#include "workers/projection_runner.h"

namespace crm::projections {
namespace {

const char* const kStages[] = {"prospecting", "approach", "offer", "order"};

class RecordTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runner_.Register(&model_);
    Open(2000);
  }

  template <class Event>
  void Append(eventstore::AppendRequest* request, const std::string& id, const Event& e) {
    auto& part = request->parts.emplace_back();
    part.stream = sales::OpportunityStream(id);
    part.events.push_back(domain::MakeEvent(e, domain::Context{}, gen_));
  }
  void Commit(eventstore::AppendRequest request) {
    ASSERT_TRUE(store_->Append(std::move(request)).ok());
    ASSERT_TRUE(runner_.CatchUp().ok());
  }
  void Open(size_t n) {
    eventstore::AppendRequest request;
    for (size_t k = 0; k < n; ++k) {
      const size_t i = values_.size();
      sales::OpportunityOpenedT e;
      e.opportunity_id = "o" + std::to_string(100000 + i);
      e.account_id = i % 3 == 0 ? "a2" : "a1";
      e.title = "Oportunitate " + std::to_string(i % 97);
      e.value_minor = static_cast<int64_t>(random_() % 50) * 1000;  // many ties
      e.currency = "RON";
      e.stage = kStages[i % 4];
      e.owner_id = "u1";
      ids_.push_back(e.opportunity_id);
      values_.push_back(e.value_minor);
      stages_.push_back(e.stage);
      Append(&request, e.opportunity_id, e);
    }
    Commit(std::move(request));
  }
  void ChangeValues(size_t n) {
    // n different opportunities (one append takes a stream once).
    std::vector<size_t> picked(ids_.size());
    for (size_t i = 0; i < picked.size(); ++i) picked[i] = i;
    std::shuffle(picked.begin(), picked.end(), random_);
    eventstore::AppendRequest request;
    for (size_t k = 0; k < n; ++k) {
      const size_t i = picked[k];
      sales::OpportunityChangedT e;
      e.changed = {"value"};
      e.currency = "RON";
      e.value_minor = static_cast<int64_t>(random_() % 50) * 1000;
      values_[i] = e.value_minor;
      Append(&request, ids_[i], e);
    }
    Commit(std::move(request));
  }

  // The ids of rows [offset, offset + limit) in `stage` ("" for all) by
  // value, ties by creation, as plain sorting says.
  std::vector<std::string> Expected(bool descending, size_t offset, size_t limit,
                                    const std::string& stage = "") {
    std::vector<size_t> order;
    for (size_t i = 0; i < ids_.size(); ++i) {
      if (stage.empty() || stages_[i] == stage) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return descending ? values_[a] > values_[b] : values_[a] < values_[b];
    });
    std::vector<std::string> out;
    for (size_t k = offset; k < order.size() && k < offset + limit; ++k) {
      out.push_back(ids_[order[k]]);
    }
    return out;
  }
  std::vector<std::string> Got(const SortFields& sort, size_t offset, size_t limit,
                               const std::string& stage = "", size_t* total = nullptr) {
    OpportunityQuery query;
    if (!stage.empty()) query.equals["stage"] = {stage};
    const auto page = model_.Query(query, sort, offset, limit);
    if (total) *total = page.total;
    std::vector<std::string> out;
    for (const auto& row : page.rows) out.push_back(row.id);
    return out;
  }
  void ExpectPagesMatch(const std::string& when) {
    for (const bool descending : {false, true}) {
      for (const size_t offset : {size_t{0}, size_t{37}, ids_.size() - 5}) {
        EXPECT_EQ(Expected(descending, offset, 50), Got({{"value", descending}}, offset, 50))
            << when << (descending ? ", descending" : ", ascending") << ", offset " << offset;
      }
      size_t total = 0;
      EXPECT_EQ(Expected(descending, 10, 20, "offer"),
                Got({{"value", descending}}, 10, 20, "offer", &total))
          << when << ", filtered";
      EXPECT_EQ(Expected(descending, 0, SIZE_MAX, "offer").size(), total) << when;
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_ = testing::OpenOrDie(dir_.path());
  workers::ProjectionRunner runner_{*store_};
  Opportunities model_;
  domain::IdGenerator gen_;
  std::mt19937 random_{12345};
  std::vector<std::string> ids_, stages_;
  std::vector<int64_t> values_;
};

TEST_F(RecordTableTest, AKeptOrderFollowsChangesNewRowsAndRebuilds) {
  ExpectPagesMatch("first query");
  ExpectPagesMatch("the kept order, unchanged");
  ChangeValues(20);  // a few: moved one by one
  ExpectPagesMatch("after 20 changes");
  Open(15);  // new rows join the order
  ExpectPagesMatch("after new rows");
  ChangeValues(600);  // many: sorted again
  ExpectPagesMatch("after 600 changes");
  // Two fields take the plain sort, and agree with the kept order's ties.
  EXPECT_EQ(Got({{"value", true}}, 0, 100), Got({{"value", true}, {"created_at", false}}, 0, 100));
}

// Archived rows leave every page (read from the table's own flags when
// nothing else filters) and come back with include_archived.
TEST_F(RecordTableTest, ArchivedRowsLeaveThePagesUnlessAsked) {
  size_t total = 0;
  Got({{"value", true}}, 0, 10, "", &total);
  ASSERT_EQ(ids_.size(), total);
  const std::string top = Got({{"value", true}}, 0, 1)[0];
  eventstore::AppendRequest request;
  Append(&request, top, sales::OpportunityArchivedT{});
  Commit(std::move(request));
  for (const SortFields& sort : {SortFields{{"value", true}}, SortFields{}}) {
    const auto page = model_.Query({}, sort, 0, SIZE_MAX);
    EXPECT_EQ(ids_.size() - 1, page.total);
    EXPECT_TRUE(std::none_of(page.rows.begin(), page.rows.end(),
                             [&](const OpportunityRow& row) { return row.id == top; }));
    OpportunityQuery all;
    all.include_archived = true;
    EXPECT_EQ(ids_.size(), model_.Query(all, sort, 0, 1).total);
  }
}

TEST_F(RecordTableTest, TheStageOrderOfEachQueryIsKeptApart) {
  OpportunityQuery query;
  query.stage_order = {"prospecting", "approach", "offer", "order"};
  auto first = model_.Query(query, {{"stage", false}}, 0, 1).rows;
  ASSERT_EQ(1u, first.size());
  EXPECT_EQ("prospecting", first[0].stage);
  query.stage_order = {"order", "offer", "approach", "prospecting"};
  first = model_.Query(query, {{"stage", false}}, 0, 1).rows;
  ASSERT_EQ(1u, first.size());
  EXPECT_EQ("order", first[0].stage) << "a new pipeline order is a new kept order";
}

// Filters on the key columns (owner, stage, status, currency), on accounts,
// and searches (over the texts kept in one buffer, which titles that grow
// and shrink rewrite) select exactly the rows whose own fields match: after
// reassignments, stage moves, title edits and archiving, and in a model
// restored from a snapshot of it.
TEST_F(RecordTableTest, FiltersAndSearchesSelectWhatTheRowsSay) {
  auto change = [&](size_t from, size_t to, auto make) {
    eventstore::AppendRequest request;
    for (size_t i = from; i < to; ++i) Append(&request, ids_[i], make(i));
    Commit(std::move(request));
  };
  change(0, 300, [](size_t i) {
    sales::OpportunityReassignedT e;
    e.owner_id = i % 2 ? "u2" : "u3";
    e.from_owner_id = "u1";
    return e;
  });
  change(100, 400, [](size_t i) {
    sales::OpportunityStageChangedT e;
    e.stage = kStages[(i + 1) % 4];
    return e;
  });
  // Titles that grow past their place in the buffer (moved to its end)
  // twice, then shrink in place: enough left behind to rewrite the buffer.
  auto retitle = [&](size_t from, size_t to, const std::string& title) {
    change(from, to, [&](size_t i) {
      sales::OpportunityChangedT e;
      e.changed = {"title"};
      e.title = title + " " + std::to_string(i);
      return e;
    });
  };
  retitle(0, 1000, "Lungă " + std::string(700, 'x'));
  retitle(0, 1000, "Mai lungă " + std::string(1400, 'y'));
  retitle(500, 1000, "Scurtă");
  change(1900, 1950, [](size_t) { return sales::OpportunityArchivedT{}; });

  OpportunityQuery everything;
  everything.include_archived = true;
  const auto rows = model_.Query(everything, {}, 0, SIZE_MAX).rows;
  ASSERT_EQ(ids_.size(), rows.size());
  auto expect = [&](const Opportunities& model, const OpportunityQuery& query, auto matches,
                    const std::string& what) {
    std::vector<std::string> want, got;
    for (const auto& row : rows) {
      if ((!row.archived || query.include_archived) && matches(row)) want.push_back(row.id);
    }
    for (const auto& row : model.Query(query, {}, 0, SIZE_MAX).rows) got.push_back(row.id);
    EXPECT_EQ(want, got) << what;
    EXPECT_EQ(want.size(), model.Query(query, {{"value", true}}, 0, 1).total) << what << ", sorted";
    return want.size();
  };
  auto check = [&](const Opportunities& model, const std::string& which) {
    auto has = [](const std::string& text, const char* word) {
      return text.find(word) != std::string::npos;
    };
    OpportunityQuery q;
    q.equals["stage"] = {"offer"};
    EXPECT_GT(expect(
                  model, q, [](const auto& r) { return r.stage == "offer"; }, which + " stage"),
              0u);
    q = {};
    q.equals["owner_id"] = {"u2", "u9"};
    EXPECT_EQ(150u, expect(
                        model, q, [](const auto& r) { return r.owner_id == "u2"; },
                        which + " owners, one unknown"));
    q = {};
    q.equals["owner_id"] = {"u3"};
    q.equals["stage"] = {"order", "approach"};
    q.equals["status"] = {"open"};
    EXPECT_GT(expect(
                  model, q,
                  [](const auto& r) {
                    return r.owner_id == "u3" && (r.stage == "order" || r.stage == "approach");
                  },
                  which + " owner, stages and status"),
              0u);
    q = {};
    q.equals["account_id"] = {"a2"};
    q.equals["currency"] = {"RON"};
    EXPECT_GT(expect(
                  model, q, [](const auto& r) { return r.account_id == "a2"; }, which + " account"),
              0u);
    q = {};
    q.equals["currency"] = {"EUR"};
    EXPECT_EQ(0u, expect(
                      model, q, [](const auto&) { return false; }, which + " no such value"));
    q = {};
    q.q = "mai lunga";
    EXPECT_EQ(500u, expect(
                        model, q, [&](const auto& r) { return has(r.title, "Mai lungă"); },
                        which + " grown titles"));
    q.q = "scurta";
    EXPECT_EQ(500u, expect(
                        model, q, [&](const auto& r) { return has(r.title, "Scurtă"); },
                        which + " shrunk titles"));
    q.q = "oportunitate";
    q.include_archived = true;
    EXPECT_EQ(1000u, expect(
                         model, q, [&](const auto& r) { return has(r.title, "Oportunitate"); },
                         which + " untouched titles, archived too"));
    // Amount ranges compare the kept values as minor units; a bound that is
    // no amount of money compares as a decimal, by the row.
    q = {};
    q.ranges["value"] = {ValueRange::Kind::kNumber, "100", "250.00"};
    EXPECT_GT(expect(
                  model, q,
                  [](const auto& r) { return r.value_minor >= 10'000 && r.value_minor <= 25'000; },
                  which + " a value range"),
              0u);
    q.ranges["value"] = {ValueRange::Kind::kNumber, "100.001", ""};
    EXPECT_GT(expect(
                  model, q, [](const auto& r) { return r.value_minor > 10'000; },
                  which + " a decimal bound"),
              0u);
    q = {};
    q.ranges["created_at"] = {ValueRange::Kind::kTime, "",
                              domain::FormatRfc3339(rows[99].created_at_us)};
    EXPECT_GE(
        expect(
            model, q, [&](const auto& r) { return r.created_at_us <= rows[99].created_at_us; },
            which + " a time range"),
        100u);
    // The rows of the accounts whose name matches match the search too.
    q = {};
    q.q = "nimic";
    q.q_accounts = {"a2"};
    EXPECT_GT(expect(
                  model, q, [](const auto& r) { return r.account_id == "a2"; },
                  which + " an account's name"),
              0u);
  };
  check(model_, "live:");

  std::string bytes;
  {
    std::shared_lock lock(model_.mutex());
    ASSERT_TRUE(model_.Save(&bytes));
  }
  Opportunities restored;
  {
    std::unique_lock lock(restored.mutex());
    ASSERT_TRUE(restored.Load(bytes));
  }
  check(restored, "restored:");
  // The panels read the columns too (the funnel its stays list): a restored
  // model's funnel and portfolio are the live one's.
  FunnelQuery funnel;
  for (const char* stage : kStages) funnel.stages.push_back({stage, 50});
  const auto live = model_.Funnel(funnel), again = restored.Funnel(funnel);
  ASSERT_EQ(live.size(), again.size());
  for (size_t i = 0; i < live.size(); ++i) {
    EXPECT_EQ(live[i].open, again[i].open) << live[i].key;
    EXPECT_EQ(live[i].value, again[i].value) << live[i].key;
    EXPECT_EQ(live[i].entered, again[i].entered) << live[i].key;
    EXPECT_EQ(live[i].advanced, again[i].advanced) << live[i].key;
    EXPECT_EQ(live[i].median_us, again[i].median_us) << live[i].key;
  }
  size_t entered = 0;
  for (const auto& stage : live) entered += stage.entered;
  EXPECT_GE(entered, 2000u - 50u) << "every unarchived one entered a stage";
  EXPECT_TRUE(std::any_of(live.begin(), live.end(), [](const auto& s) { return s.median_us; }))
      << "the 300 moved left one";
  PortfolioQuery portfolio;
  portfolio.keys = {"offer", "order"};
  const auto groups = model_.Portfolio(portfolio), restored_groups = restored.Portfolio(portfolio);
  ASSERT_EQ(groups.size(), restored_groups.size());
  for (const auto& [key, group] : groups) {
    EXPECT_EQ(group.count, restored_groups.at(key).count) << key.first << " " << key.second;
  }
  EXPECT_TRUE(groups.contains({"u2", "offer"}));
  {
    std::unique_lock lock(restored.mutex());
    restored.Clear();
  }
  EXPECT_EQ(0u, restored.Query(everything, {}, 0, SIZE_MAX).total);
}

}  // namespace
}  // namespace crm::projections
