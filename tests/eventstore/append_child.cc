// Helper for durability_test: appends from 4 threads until killed, printing
// "<position>\n" for every acknowledged append (after it is durable).

#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "support/events.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto store = crm::testing::OpenOrDie(argv[1]);
  std::mutex out;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0;; ++i) {
        auto r = store->Append(
            crm::testing::OnePart("child-" + std::to_string(t), crm::eventstore::kAnyVersion));
        if (!r.ok()) {
          std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
          std::_Exit(1);
        }
        std::lock_guard lock(out);
        std::printf("%llu\n", static_cast<unsigned long long>(r->last_position));
        std::fflush(stdout);
      }
    });
  }
  for (auto& t : threads) t.join();
}
