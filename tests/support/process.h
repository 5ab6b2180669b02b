#pragma once

// Runs the project's real programs from tests: spawn with arguments and extra
// environment, read standard output line by line, signal, wait.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

extern char** environ;

namespace crm::testing {

class Process {
 public:
  // Starts `program` with `args`; `env` entries ("NAME=value") are added to
  // this process's environment. Standard output is read through line() and
  // ReadAll(); standard error goes to the test's.
  Process(const std::string& program, const std::vector<std::string>& args,
          const std::vector<std::string>& env = {}) {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::vector<std::string> argv_storage{program};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_storage(env);
    for (char** e = environ; *e != nullptr; ++e) env_storage.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
    if (posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), envp.data()) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }

  ~Process() {
    if (pid_ > 0 && !waited_) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (out_) std::fclose(out_);
  }

  bool started() const { return pid_ > 0; }

  // The next line of standard output without its newline; false at the end.
  bool Line(std::string* line) {
    char buf[4096];
    if (std::fgets(buf, sizeof buf, out_) == nullptr) return false;
    *line = buf;
    if (!line->empty() && line->back() == '\n') line->pop_back();
    return true;
  }

  // Everything left on standard output.
  std::string ReadAll() {
    std::string all;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, out_)) > 0) all.append(buf, n);
    return all;
  }

  void Signal(int sig) { kill(pid_, sig); }

  // Waits for the end; returns the exit code, or 128 + signal number.
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    waited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  bool waited_ = false;
};

// Runs a program to its end; returns {exit code, standard output}.
inline std::pair<int, std::string> RunProgram(const std::string& program,
                                              const std::vector<std::string>& args,
                                              const std::vector<std::string>& env = {}) {
  Process p(program, args, env);
  std::string out = p.ReadAll();
  return {p.Wait(), out};
}

}  // namespace crm::testing
