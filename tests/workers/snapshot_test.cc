// Snapshots of the read models: the archive they are written in, and the
// runner's use of them at start-up and for "as of" queries, on a realistic
// log (crmctl generate's) in a real RocksDB.

#include "projections/snapshot.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/sales/pipeline.h"
#include "projections/event_counts.h"
#include "projections/read_model_code.h"
#include "projections/registry.h"
#include "support/events.h"
#include "support/temp_dir.h"
#include "tools/generate.h"
#include "workers/projection_runner.h"

namespace crm::workers {
namespace {

using projections::Projection;
using projections::ReadModels;
using projections::SnapshotReader;
using projections::SnapshotWriter;

struct Sample {
  std::string name;
  int64_t delta = 0;
  std::optional<bool> flag;
};
template <class Archive>
void Fields(Archive& ar, Sample& s) {
  auto& [name, delta, flag] = s;
  ar(name, delta, flag);
}

TEST(SnapshotArchiveTest, ReadsBackWhatItWrote) {
  const std::vector<Sample> samples = {{"ăîșț", -1, true}, {"", INT64_MIN, std::nullopt}};
  const std::map<std::string, std::set<std::pair<std::string, uint32_t>>> nested = {
      {"a", {{"x", 1}, {"y", UINT32_MAX}}}, {"b", {}}};
  const std::deque<uint64_t> numbers = {0, 127, 128, UINT64_MAX};
  SnapshotWriter out;
  out(samples, nested, numbers, int64_t{INT64_MAX}, true);

  std::vector<Sample> samples2;
  std::map<std::string, std::set<std::pair<std::string, uint32_t>>> nested2;
  std::deque<uint64_t> numbers2;
  int64_t max = 0;
  bool yes = false;
  SnapshotReader in(out.bytes());
  in(samples2, nested2, numbers2, max, yes);
  ASSERT_TRUE(in.done());
  ASSERT_EQ(2u, samples2.size());
  EXPECT_EQ("ăîșț", samples2[0].name);
  EXPECT_EQ(-1, samples2[0].delta);
  EXPECT_EQ(std::optional<bool>(true), samples2[0].flag);
  EXPECT_EQ(INT64_MIN, samples2[1].delta);
  EXPECT_FALSE(samples2[1].flag.has_value());
  EXPECT_EQ(nested, nested2);
  EXPECT_EQ(numbers, numbers2);
  EXPECT_EQ(INT64_MAX, max);
  EXPECT_TRUE(yes);
}

TEST(SnapshotArchiveTest, UnorderedContainersAreWrittenInKeyOrder) {
  std::unordered_map<std::string, int> one, other;
  for (int i = 0; i < 500; ++i) one["k" + std::to_string(i)] = i;
  for (int i = 499; i >= 0; --i) other["k" + std::to_string(i)] = i;
  other.rehash(4096);
  SnapshotWriter a, b;
  a(one);
  b(other);
  EXPECT_EQ(a.bytes(), b.bytes());
  std::unordered_map<std::string, int> back;
  SnapshotReader in(a.bytes());
  in(back);
  ASSERT_TRUE(in.done());
  EXPECT_EQ(one, back);
}

TEST(SnapshotArchiveTest, RefusesShortLongAndGarbledBytes) {
  SnapshotWriter out;
  out(std::vector<std::string>{"alpha", "beta"}, uint64_t{300});
  const std::string bytes = out.bytes();
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<std::string> words;
    uint64_t n = 0;
    SnapshotReader in(std::string_view(bytes).substr(0, cut));
    in(words, n);
    EXPECT_FALSE(in.done()) << "cut at " << cut;
  }
  std::vector<std::string> words;
  uint64_t n = 0;
  SnapshotReader longer(bytes + "x");
  longer(words, n);
  EXPECT_FALSE(longer.done());
  // A count far beyond the bytes left is refused before anything is allocated.
  SnapshotReader huge(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9));
  huge(words);
  EXPECT_FALSE(huge.ok());
}

// Every model's snapshot bytes: two models hold the same state exactly when
// these are equal (unordered members are written in key order).
std::map<std::string, std::string> StateOf(ReadModels& models) {
  std::map<std::string, std::string> state;
  for (auto* model : models.all()) {
    std::shared_lock lock(model->mutex());
    std::string bytes;
    EXPECT_TRUE(model->Save(&bytes)) << model->Name();
    state[std::string(model->Name())] = std::move(bytes);
  }
  return state;
}

// What some queries answer, through the models' indexes (search, sort,
// codes, duplicates, accounts' records): a restored model must answer as the
// replayed one, whatever its bytes say.
std::vector<std::string> Answers(const ReadModels& models) {
  std::vector<std::string> out;
  projections::AccountQuery search;
  search.q = "sr";
  for (const auto& sort : {std::pair<std::string, bool>{"name", true}, {"city", false}}) {
    auto page = models.accounts.Query(search, {sort}, 0, 30);
    out.push_back("accounts " + std::to_string(page.total));
    for (const auto& row : page.rows) {
      out.push_back(row.id + " " + models.accounts.IdByCode(row.code) + " " +
                    models.accounts.NameOf(row.id));
      for (const auto& id : models.opportunities.IdsOfAccount(row.id, true)) out.push_back(id);
    }
  }
  for (const auto& d : models.accounts.AllDuplicates(20)) out.push_back(d.ids.front());
  auto deals = models.opportunities.Query({}, {{"value", false}}, 0, 30);
  out.push_back("opportunities " + std::to_string(deals.total));
  for (const auto& row : deals.rows) out.push_back(row.id);
  auto tasks = models.activities.Query({}, {{"due_date", true}}, 0, 30);
  out.push_back("activities " + std::to_string(tasks.total));
  for (const auto& row : tasks.rows) out.push_back(row.id);
  // What reads the columns kept beside a record table's rows (not in the
  // snapshot, rebuilt as it loads): filters, searches and the panels.
  projections::OpportunityQuery open;
  open.equals["status"] = {"open"};
  open.equals["stage"] = {"offer", "order"};
  auto offers = models.opportunities.Query(open, {{"value", true}}, 0, 30);
  out.push_back("open offers " + std::to_string(offers.total));
  for (const auto& row : offers.rows) out.push_back(row.id);
  for (const char* word : {"a", "ion", "srl"}) {
    projections::OpportunityQuery search;
    search.q = word;
    out.push_back(std::string("search ") + word + " " +
                  std::to_string(models.opportunities.Query(search, {}, 0, 1).total));
  }
  // Offers: by status and total, by account, searched.
  projections::OfferQuery sent;
  sent.equals["status"] = {"sent", "accepted"};
  auto documents = models.offers.Query(sent, {{"total", true}}, 0, 30);
  out.push_back("offers " + std::to_string(documents.total));
  for (const auto& row : documents.rows) {
    out.push_back(row.number + " " + row.status + " " + std::to_string(row.total_minor));
    out.push_back("of its account " +
                  std::to_string(models.offers.IdsOfAccount(row.account_id).size()));
  }
  projections::OfferQuery words;
  words.q = "licen";
  out.push_back("offers searched " + std::to_string(models.offers.Query(words, {}, 0, 1).total));
  projections::FunnelQuery funnel;
  for (const auto& stage : sales::DefaultStages()) funnel.stages.push_back({stage.key, 50});
  for (const auto& stage : models.opportunities.Funnel(funnel)) {
    out.push_back("funnel " + stage.key + " " + std::to_string(stage.open) + " " +
                  std::to_string(stage.entered) + " " + std::to_string(stage.advanced) + " " +
                  std::to_string(stage.median_us.value_or(-1)));
  }
  projections::PortfolioQuery portfolio;
  portfolio.keys = {"offer", "order", "won", "lost"};
  for (const auto& [key, group] : models.opportunities.Portfolio(portfolio)) {
    out.push_back("portfolio " + key.first + " " + key.second + " " + std::to_string(group.count));
    for (const auto& row : group.rows) out.push_back(row.id);
  }
  portfolio.keys = {"planned", "done"};
  portfolio.date_field = "created_at";
  portfolio.from = "2026-10-01";
  for (const auto& [key, group] : models.activities.Portfolio(portfolio)) {
    out.push_back("tasks " + key.first + " " + key.second + " " + std::to_string(group.count));
  }
  const projections::DueQuery due{{}, "2026-11-18", "2026-11-25", "2026-11"};
  for (const auto& counts : {models.opportunities.Due(due), models.activities.Due(due)}) {
    out.push_back("due " + std::to_string(counts.overdue) + " " + std::to_string(counts.today) +
                  " " + std::to_string(counts.upcoming) + " " +
                  std::to_string(counts.by_day.size()));
  }
  for (const auto& [user, entities] : models.user_actions.Counts({}, {}, INT64_MIN, INT64_MAX)) {
    for (const auto& [entity, n] : entities) {
      out.push_back("actions " + user + " " + entity + " " + std::to_string(n));
    }
  }
  return out;
}

void RegisterAll(ProjectionRunner& runner, ReadModels& models) {
  for (auto* model : models.all()) runner.Register(model, models.LaneOf(model));
}

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto clock = std::make_shared<std::atomic<int64_t>>(0);
    store_ = testing::OpenOrDie(dir_.path(),
                                {.sync = false, .clock_us = [clock] { return clock->load(); }});
    tools::GenerateOptions options;
    options.accounts = 150;
    options.opportunities = 300;
    options.activities = 300;
    options.users = 4;
    options.days = 60;
    options.today_us = 1'795'000'000'000'000;  // 2026-11-18
    auto report = tools::Generate(*store_, options, [clock](int64_t us) { clock->store(us); });
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ASSERT_GT(store_->Head(), 1500u);
  }

  // The models folded from the whole log, with no snapshot at all.
  std::map<std::string, std::string> FullReplay() {
    ProjectionRunner runner(std::as_const(*store_));
    RegisterAll(runner, replayed_);
    EXPECT_TRUE(runner.CatchUp().ok());
    return StateOf(replayed_);
  }

  ReadModels replayed_;

  testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> store_;
};

TEST_F(SnapshotTest, SnapshotPlusTailEqualsAFullReplayModelByModel) {
  const auto full = FullReplay();
  const uint64_t head = store_->Head();
  const uint64_t middle = head / 2;
  // Every model's snapshot at the middle of the log, written by the runner
  // (a long "as of" fold leaves one where it ended).
  {
    ReadModels prototypes;
    ProjectionRunner runner(*store_, {.snapshot_every = 100, .as_of_cache = 0});
    for (auto* model : prototypes.all()) ASSERT_TRUE(runner.AsOf(*model, middle).ok());
  }
  for (const auto& [name, bytes] : full) {
    auto positions = store_->SnapshotPositions(name);
    ASSERT_TRUE(positions.ok());
    EXPECT_EQ(std::vector<uint64_t>{middle}, *positions) << name;
  }

  ReadModels restored;
  ProjectionRunner runner(*store_, {.snapshot_every = 0});
  RegisterAll(runner, restored);
  ASSERT_TRUE(runner.CatchUp().ok());
  for (const auto& report : runner.Reports()) {
    EXPECT_EQ(middle, report.restored_from) << report.name;
    EXPECT_EQ(head, report.position) << report.name;
  }
  const auto state = StateOf(restored);
  for (const auto& [name, bytes] : full) {
    EXPECT_TRUE(state.at(name) == bytes) << name << " differs from a full replay";
  }
  EXPECT_EQ(Answers(replayed_), Answers(restored));
}

TEST_F(SnapshotTest, ALaneStartsOnlyWhereAllItsModelsHaveASnapshot) {
  const auto full = FullReplay();
  const uint64_t head = store_->Head();
  {
    // Every model has a snapshot at a quarter of the log; the accounts model
    // alone also at the half (not the folders beside it in its lane).
    ReadModels prototypes;
    ProjectionRunner runner(*store_, {.snapshot_every = 100, .as_of_cache = 0});
    for (auto* model : prototypes.all()) ASSERT_TRUE(runner.AsOf(*model, head / 4).ok());
    ASSERT_TRUE(runner.AsOf(prototypes.accounts, head / 2).ok());
  }
  ReadModels restored;
  ProjectionRunner runner(*store_, {.snapshot_every = 0});
  RegisterAll(runner, restored);
  ASSERT_TRUE(runner.CatchUp().ok());
  for (const auto& report : runner.Reports()) {
    EXPECT_EQ(head / 4, report.restored_from) << report.name;
  }
  EXPECT_EQ(full, StateOf(restored));
  EXPECT_EQ(Answers(replayed_), Answers(restored));
}

TEST_F(SnapshotTest, ARestartStartsFromTheSnapshotTheStopWrote) {
  const auto full = FullReplay();
  {
    ReadModels models;
    ProjectionRunner runner(*store_, {});
    RegisterAll(runner, models);
    ASSERT_TRUE(runner.CatchUp().ok());
    runner.Start();
    runner.Stop();  // snapshots every lane at the head
    for (const auto& report : runner.Reports()) EXPECT_EQ(store_->Head(), report.snapshot);
  }
  ReadModels again;
  ProjectionRunner runner(*store_, {});
  RegisterAll(runner, again);
  ASSERT_TRUE(runner.CatchUp().ok());
  for (const auto& report : runner.Reports()) {
    EXPECT_EQ(store_->Head(), report.restored_from) << report.name;
  }
  EXPECT_EQ(full, StateOf(again));
  EXPECT_EQ(Answers(replayed_), Answers(again));
}

TEST_F(SnapshotTest, AsOfAtTwentyRandomPositionsEqualsAFoldFromTheStart) {
  ProjectionRunner plain(std::as_const(*store_));
  // Small steps, so that the positions asked about find snapshots left by the
  // earlier ones, and fold from them.
  ProjectionRunner snapshotted(*store_, {.snapshot_every = 200, .as_of_cache = 0});
  ReadModels prototypes;
  std::mt19937_64 random(12);
  std::uniform_int_distribution<uint64_t> position(1, store_->Head());
  for (int i = 0; i < 20; ++i) {
    const uint64_t at = position(random);
    for (auto* model : prototypes.all()) {
      auto expected = plain.AsOf(*model, at);
      auto actual = snapshotted.AsOf(*model, at);
      ASSERT_TRUE(expected.ok() && actual.ok());
      std::string want, got;
      ASSERT_TRUE((*expected)->Save(&want));
      ASSERT_TRUE((*actual)->Save(&got));
      EXPECT_TRUE(want == got) << model->Name() << " as of " << at;
    }
  }
  auto positions = store_->SnapshotPositions("accounts");
  ASSERT_TRUE(positions.ok());
  EXPECT_GT(positions->size(), 3u) << "the folds left no snapshots to start from";
  EXPECT_LE(positions->size(), 16u) << "snapshots are thinned out";
}

TEST_F(SnapshotTest, SnapshotsOfOtherCodeOrUnreadableOnesAreIgnored) {
  const auto full = FullReplay();
  {
    ReadModels models;
    ProjectionRunner runner(*store_, {.code = "an older build"});
    RegisterAll(runner, models);
    ASSERT_TRUE(runner.CatchUp().ok());
    ASSERT_TRUE(runner.SnapshotAll().ok());
  }
  {
    ReadModels models;
    ProjectionRunner runner(*store_, {.snapshot_every = 0});
    RegisterAll(runner, models);
    ASSERT_TRUE(runner.CatchUp().ok());
    for (const auto& report : runner.Reports()) EXPECT_EQ(0u, report.restored_from);
    EXPECT_EQ(full, StateOf(models));
    // And deleted: this build would never read them.
    for (const auto& [name, bytes] : full) {
      auto positions = store_->SnapshotPositions(name);
      ASSERT_TRUE(positions.ok());
      EXPECT_TRUE(positions->empty()) << name;
    }
    // Ours at the same position take their place.
    ASSERT_TRUE(runner.SnapshotAll().ok());
    for (const auto& [name, bytes] : full) {
      auto positions = store_->SnapshotPositions(name);
      ASSERT_TRUE(positions.ok());
      EXPECT_EQ(std::vector<uint64_t>{store_->Head()}, *positions) << name;
      auto read = store_->ReadSnapshot(name, store_->Head());
      ASSERT_TRUE(read.ok());
      EXPECT_TRUE(read->has_value()) << name;
    }
  }
  {
    // And they outlive a restart of the store.
    const uint64_t head = store_->Head();
    store_.reset();
    store_ = testing::OpenOrDie(dir_.path());
    for (const auto& [name, bytes] : full) {
      auto positions = store_->SnapshotPositions(name);
      ASSERT_TRUE(positions.ok());
      EXPECT_EQ(std::vector<uint64_t>{head}, *positions) << name << " after a restart";
    }
  }
  // Our code's prefix, then bytes that do not read back: a full replay.
  const uint64_t head = store_->Head();
  std::string garbled = std::string(projections::kReadModelCode) + '\0' + "\x05not a model";
  for (const auto& [name, bytes] : full) ASSERT_TRUE(store_->PutSnapshot(name, head, garbled).ok());
  ReadModels models;
  ProjectionRunner runner(*store_, {.snapshot_every = 0});
  RegisterAll(runner, models);
  ASSERT_TRUE(runner.CatchUp().ok());
  for (const auto& report : runner.Reports()) EXPECT_EQ(0u, report.restored_from);
  EXPECT_EQ(full, StateOf(models));
}

TEST_F(SnapshotTest, BackfillLeavesASnapshotEveryStepOfThePast) {
  const uint64_t head = store_->Head();
  ReadModels models;
  ProjectionRunner runner(*store_, {.snapshot_every = 200, .as_of_cache = 0});
  RegisterAll(runner, models);
  ASSERT_TRUE(runner.CatchUp().ok());
  ASSERT_TRUE(runner.Backfill().ok());
  std::vector<uint64_t> wanted;
  for (uint64_t at = 200; at + 100 < head; at += 200) wanted.push_back(at);
  for (auto* model : models.all()) {
    auto positions = store_->SnapshotPositions(model->Name());
    ASSERT_TRUE(positions.ok());
    EXPECT_EQ(wanted, *positions) << model->Name();
  }
  // Each one is the model as it was there.
  ProjectionRunner plain(std::as_const(*store_));
  for (uint64_t at : wanted) {
    auto bytes = store_->ReadSnapshot("opportunities", at);
    ASSERT_TRUE(bytes.ok() && bytes->has_value());
    auto past = plain.AsOf(models.opportunities, at);
    ASSERT_TRUE(past.ok());
    std::string expected = std::string(projections::kReadModelCode) + '\0';
    ASSERT_TRUE((*past)->Save(&expected));
    EXPECT_TRUE(expected == **bytes) << "at " << at;
  }
  // A second run finds nothing missing.
  ASSERT_TRUE(runner.Backfill().ok());
  auto again = store_->SnapshotPositions("accounts");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(wanted, *again);
}

TEST_F(SnapshotTest, AFollowingLaneSnapshotsEveryNEventsAndKeepsAFew) {
  projections::EventCounts counts;
  ProjectionRunner runner(*store_, {.snapshot_every = 50, .snapshots_kept = 3});
  runner.Register(&counts);
  ASSERT_TRUE(runner.CatchUp().ok());
  runner.Start();
  uint64_t last = 0;
  for (int i = 0; i < 400; ++i) {
    auto r = store_->Append(testing::OnePart("s", eventstore::kAnyVersion));
    ASSERT_TRUE(r.ok());
    last = r->last_position;
    ASSERT_TRUE(runner.WaitFor(last, std::chrono::seconds(30)));
  }
  runner.Stop();
  auto positions = store_->SnapshotPositions("event_counts");
  ASSERT_TRUE(positions.ok());
  EXPECT_LE(positions->size(), 3u);
  ASSERT_FALSE(positions->empty());
  EXPECT_EQ(last, positions->back()) << "Stop snapshots the last position";
  EXPECT_GE(positions->size(), 2u);
  for (size_t i = 1; i < positions->size(); ++i) {
    EXPECT_GE((*positions)[i] - (*positions)[i - 1], 25u) << "a newer one replaces a near one";
  }
}

}  // namespace
}  // namespace crm::workers
