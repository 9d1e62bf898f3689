// job_runner.cpp: coflow in a command-line tool, in real time. A reader thread turns each line of stdin into a
// signal to the runner workflow, handed to the loop with realtime_executor::call; the main thread drives a
// coflow::realtime_executor, on which each job waits for real (its length in units of `unit_ms`).
//
//   usage: job_runner [unit_ms] < commands     (unit_ms: 10 by default; try 1000 at a terminal)
//   commands: run <name> <units> | cancel <name> | status | wait | quit   (the end of input is a quit)
//
// Everything is printed by workflow code on the loop's thread. The runner takes one command at a time, `wait`
// holds the next one back until every job has ended and then reports them in the order they ended, and a job
// reports nothing by itself. So what is printed depends on the commands only, not on when they arrive:
// examples/job_runner.in gives job_runner.out on every run, however the threads are scheduled (as long as a
// 1000-unit job is still running when the next two commands come, which takes ten seconds at 10 ms a unit).
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

class job_runner {
public:
    coflow::signal_channel<std::string> commands;

    coflow::workflow<int> run(int unit_ms) {
        unit_ = std::chrono::milliseconds(unit_ms);
        coflow::task_scope scope;  // the jobs: tasks of this run, cancelled if it ends first
        for (;;) {
            std::istringstream line(co_await commands.receive());
            std::string command, name;
            line >> command >> name;
            if (command == "run") {
                int units = -1;
                line >> units;
                if (name.empty() || units < 0) say("usage: run <name> <units>");
                else if (jobs_.count(name) != 0) say("job '" + name + "' exists");
                else {
                    jobs_[name] = job_state{units, "running", false};
                    say(name + ": started, " + std::to_string(units) + " units");
                    scope.spawn(job(name));
                }
            } else if (command == "cancel") {
                const auto found = jobs_.find(name);
                if (found == jobs_.end() || found->second.state != "running") {
                    say("no running job '" + name + "'");
                } else {
                    found->second.cancel = true;  // the job's wait_condition sees it when this step ends
                    say(name + ": cancelling");
                }
            } else if (command == "status") {
                say("status:");
                for (const auto& [job_name, j] : jobs_) say("  " + job_name + " " + j.state);
            } else if (command == "wait") {
                co_await scope.join();
                for (const std::string& job_name : ended_) say(job_name + ": " + jobs_[job_name].state);
                ended_.clear();
                say("all jobs ended");
            } else if (command == "quit") {
                for (auto& entry : jobs_) entry.second.cancel = true;
                co_await scope.join();
                int done = 0;
                for (const auto& entry : jobs_) done += entry.second.state == "done" ? 1 : 0;
                say("bye: " + std::to_string(done) + " of " + std::to_string(jobs_.size()) + " jobs done");
                co_return done;
            } else {
                say("unknown command '" + command + "' (run, cancel, status, wait, quit)");
            }
        }
    }

    static constexpr auto definition =
        coflow::define<job_runner>("job_runner").run(&job_runner::run).signal("command", &job_runner::commands);

private:
    struct job_state {
        int units = 0;
        std::string state;  // running, done or cancelled
        bool cancel = false;
    };

    // A job waits for its time to pass, on the executor's real clock, or for a cancel, whichever comes first.
    coflow::task<void> job(std::string name) {
        job_state& j = jobs_[name];  // std::map: the reference stays valid
        const bool cancelled = co_await coflow::wait_condition([&j] { return j.cancel; }, j.units * unit_);
        j.state = cancelled ? "cancelled" : "done";
        ended_.push_back(name);
    }

    static void say(const std::string& text) { std::printf("%s\n", text.c_str()); }

    std::map<std::string, job_state> jobs_;
    std::vector<std::string> ended_;  // since the last wait, in the order they ended
    coflow::duration unit_{};
};

int main(int argc, char** argv) {
    const int unit_ms = argc > 1 ? std::atoi(argv[1]) : 10;
    coflow::realtime_executor ex;
    coflow::runtime rt{ex};  // made on this thread, which drives the loop: it owns the runtime
    auto runner = rt.start_workflow(&job_runner::run, unit_ms, {.id = "runner"});

    // The reader hands each line over and waits until the runner has taken it; a refused signal would come
    // back here as the future's exception.
    std::thread reader([&ex, runner] {
        std::string line = "quit";
        bool more = true;
        while (more) {
            more = static_cast<bool>(std::getline(std::cin, line)) && line != "quit";
            if (!more) line = "quit";
            try {
                ex.call([runner, line] { runner.signal(&job_runner::commands, line); }).get();
            } catch (const std::exception& e) {
                std::fprintf(stderr, "job_runner: %s\n", e.what());
                return;
            }
        }
    });

    (void)ex.run_until(runner);  // sleeps whenever nothing is due: no CPU while the jobs wait
    reader.join();
    return runner.status() == coflow::workflow_status::completed ? 0 : 1;
}
