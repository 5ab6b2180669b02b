// A full disk: the store stops taking writes, keeps serving reads, never
// aborts, and takes writes again once there is room, with nothing
// acknowledged lost. Runs on a small tmpfs; skips where it cannot mount one.

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "support/events.h"
#include "support/temp_dir.h"

namespace crm::eventstore {
namespace {

using testing::OnePart;
using testing::OpenOrDie;
using testing::TempDir;

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mount_ = dir_.path() + "/small";
    std::filesystem::create_directories(mount_);
    if (::mount("tmpfs", mount_.c_str(), "tmpfs", 0, "size=8m") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(mount_.c_str(), MNT_DETACH);
  }
  void Grow(const char* size) {
    ASSERT_EQ(0, ::mount("tmpfs", mount_.c_str(), "tmpfs", MS_REMOUNT,
                         (std::string("size=") + size).c_str()))
        << std::strerror(errno);
  }

  TempDir dir_;
  std::string mount_;
  bool mounted_ = false;
};

AppendRequest Big(const std::string& stream) {
  AppendRequest request = OnePart(stream, kAnyVersion, 1);
  request.parts[0].events[0].actor = std::string(20000, 'a');  // about 20 KB per event
  return request;
}

TEST_F(DiskFullTest, WritesStopReadsGoOnAndResumeLosesNothing) {
  auto store = OpenOrDie(mount_ + "/data");
  uint64_t acknowledged = 0;
  Status failure;
  for (int i = 0; i < 2000 && failure.ok(); ++i) {
    auto r = store->Append(Big("s-" + std::to_string(i % 10)));
    if (r.ok()) {
      acknowledged = r->last_position;
    } else {
      failure = r.status();
    }
  }
  ASSERT_FALSE(failure.ok()) << "8 MiB never filled up";
  EXPECT_TRUE(failure.IsReadOnly()) << failure.ToString();
  EXPECT_TRUE(store->WriteError().IsReadOnly());
  EXPECT_EQ(acknowledged, store->Head());

  // Every later write fails the same way, at once; the process stays up while
  // RocksDB waits for space (it used to abort within seconds), and reads and
  // verify go on.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    auto again = store->Append(OnePart("small", kAnyVersion, 1));
    ASSERT_FALSE(again.ok());
    EXPECT_TRUE(again.status().IsReadOnly()) << again.status().ToString();
    EXPECT_TRUE(store->PutPrivate("k", "v").IsReadOnly());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  auto report = store->Verify();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->ok);
  EXPECT_EQ(acknowledged, report->checked);
  size_t read = 0;
  ASSERT_TRUE(store->ReadLog(1, SIZE_MAX, [&](const RecordedEvent&) { return ++read, true; }).ok());
  EXPECT_EQ(acknowledged, read);

  // No room yet: resuming says so.
  EXPECT_TRUE(store->Resume().IsReadOnly());
  // Room again: writes resume where the log stopped, the chain unbroken.
  Grow("256m");  // RocksDB wants 64 MiB free before it clears the error
  const Status resumed = store->Resume();
  ASSERT_TRUE(resumed.ok()) << resumed.ToString();
  EXPECT_TRUE(store->WriteError().ok());
  auto after = store->Append(OnePart("after", kAnyVersion, 1));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(acknowledged + 1, after->last_position);
  report = store->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->reason;

  // And after a restart every acknowledged event is there.
  store.reset();
  store = OpenOrDie(mount_ + "/data");
  EXPECT_EQ(acknowledged + 1, store->Head());
  report = store->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok);
}

}  // namespace
}  // namespace crm::eventstore
