// A writer killed with SIGKILL loses nothing it acknowledged, and the chain
// still verifies after reopening.

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "support/events.h"
#include "support/temp_dir.h"

extern char** environ;

namespace crm::eventstore {
namespace {

TEST(DurabilityTest, EveryAcknowledgedAppendSurvivesSigkill) {
  testing::TempDir dir;
  for (int round = 0; round < 3; ++round) {
    int pipe_fds[2];
    ASSERT_EQ(0, pipe(pipe_fds));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    std::string child = CRM_APPEND_CHILD;
    std::string data = dir.path();
    char* args[] = {child.data(), data.data(), nullptr};
    pid_t pid = 0;
    ASSERT_EQ(0, posix_spawn(&pid, child.c_str(), &actions, nullptr, args, environ));
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);

    // Read acknowledgements for a while, then kill the writer mid-run.
    FILE* in = fdopen(pipe_fds[0], "r");
    uint64_t max_acked = 0;
    uint64_t acked = 0;
    char line[64];
    const size_t kill_after = 2000 + 1500 * round;
    while (acked < kill_after && std::fgets(line, sizeof line, in) != nullptr) {
      max_acked = std::max<uint64_t>(max_acked, std::stoull(line));
      ++acked;
    }
    ASSERT_EQ(0, kill(pid, SIGKILL));
    // Lines already written to the pipe were acknowledged too.
    while (std::fgets(line, sizeof line, in) != nullptr) {
      max_acked = std::max<uint64_t>(max_acked, std::stoull(line));
      ++acked;
    }
    fclose(in);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child ended by itself: " << status;
    ASSERT_GE(acked, kill_after);

    auto store = testing::OpenOrDie(dir.path());
    EXPECT_GE(store->Head(), max_acked) << "an acknowledged append was lost in round " << round;
    auto report = store->Verify();
    ASSERT_TRUE(report.ok());
    EXPECT_TRUE(report->ok) << report->reason << " at " << report->first_bad_position;
    EXPECT_EQ(store->Head(), report->checked);
  }
}

}  // namespace
}  // namespace crm::eventstore
