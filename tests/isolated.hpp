// tests/isolated.hpp: runs a test's attempt in a child process, so that a stack overflow or an abort fails
// the test with a message instead of killing the test runner.
#pragma once

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#if __has_include(<sys/wait.h>) && __has_include(<unistd.h>)
#include <sys/wait.h>
#include <unistd.h>
#define COFLOW_TEST_HAS_FORK 1
#else
#define COFLOW_TEST_HAS_FORK 0
#endif

/// Runs `attempt` (returning an exit code, 0 for success) in a child process where one exists, else here.
/// Returns describe(exit code) (which should say "ok" for 0), or the signal that killed the child.
template <class Attempt, class Describe>
std::string run_in_child_process(Attempt attempt, Describe describe) {
#if COFLOW_TEST_HAS_FORK
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        // The runner's crash handler would report from the child too: let a stack overflow just kill it.
        std::signal(SIGSEGV, SIG_DFL);
        std::signal(SIGBUS, SIG_DFL);
        std::_Exit(attempt());
    }
    if (pid < 0) return describe(attempt());  // no fork: run here
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return "waitpid failed";
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status)) + " (stack overflow?)";
    return describe(WEXITSTATUS(status));
#else
    return describe(attempt());
#endif
}
