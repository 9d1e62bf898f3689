// resumable_jobs.cpp: a command-line tool that is killed and resumes its jobs. Each job is a workflow: a
// few steps of work (coflow::sleep on the executor's virtual clock), a "progress" query, and signals that
// add steps or cancel it (it stops when the step it is in ends). The tool takes commands one at a time:
//
//   start <name> <steps> <seconds per step>   add <name> <steps>   cancel <name>
//   wait <seconds>                            status               finish (wait until every job has ended)
//
// It keeps a coflow::journal with sync_policy::fsync: each command's inputs (a start, a signal) are on the
// disk before the call that took them returns, and the tool commits after each command, so the file also
// holds where the jobs got to. Started again on the same file, it recovers every job where it stood,
// mid-step, with the executor's clock where it was, and goes on.
//
// To show a real kill, the program forks (POSIX): the child runs the tool, reading commands from a pipe
// and acknowledging each one it has carried out; after a fixed number of acknowledgements the parent
// sends no more (the child waits for the next command) and kills it with SIGKILL. The parent then runs
// the tool again on the same journal with the rest of the commands. Elsewhere the crash is simulated:
// the journal's file is copied while the tool still runs, and put back after it ended. Last, the program
// runs the same commands in a tool that is never killed and checks that it printed the same after the
// kill point. The journal is a file in the system's temporary directory, removed at the end.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#if defined(__unix__) || defined(__APPLE__)
#include <csignal>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#define RESUMABLE_JOBS_FORK 1
#elif defined(_WIN32)
#include <process.h>
#endif

using namespace std::chrono_literals;

// --- the job: a workflow ---------------------------------------------------------------------------------

struct progress {
    int done = 0, total = 0;
    bool cancelled = false;
    std::int64_t step_ends_s = 0;  // when the step running now ends, in seconds on the executor's clock
};

class job {
public:
    // Its code must not print: a recovery replays it to rebuild the run. The tool prints from queries.
    coflow::workflow<std::string> run(int steps, int seconds_per_step) {
        total_ = steps;
        const coflow::duration step = std::chrono::seconds(seconds_per_step);
        while (done_ < total_ && !cancelled_) {
            step_ends_s_ = in_seconds(coflow::now() + step);
            co_await coflow::sleep(step);  // one step of work: a kill in the middle of it loses nothing
            ++done_;
        }
        co_return cancelled_ ? "cancelled after " + std::to_string(done_) + " of " + std::to_string(total_) + " steps"
                             : "done, " + std::to_string(done_) + " steps";
    }

    static std::int64_t in_seconds(coflow::time_point t) {
        return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    }

    void add(int steps) { total_ += steps; }
    void cancel() { cancelled_ = true; }
    [[nodiscard]] progress get_progress() const { return {done_, total_, cancelled_, step_ends_s_}; }

private:
    int done_ = 0, total_ = 0;
    bool cancelled_ = false;
    std::int64_t step_ends_s_ = 0;

public:
    static constexpr auto definition = coflow::define<job>("job")
                                           .run(&job::run)
                                           .signal("add", &job::add)
                                           .signal("cancel", &job::cancel)
                                           .query("progress", &job::get_progress);
};

// --- the tool ------------------------------------------------------------------------------------------

// One life of the tool: constructed, it recovers what its journal holds (no journal with an empty path);
// then it carries out the commands it is given. It prints each job's line when it changes, and keeps what
// it printed.
class tool {
public:
    tool(const std::string& journal_path, bool print) : print_(print) {
        if (!journal_path.empty())
            // Histories in the file only: the tool reads its runs' ids and types, never their events.
            journal_.emplace(rt_, journal_path,
                             coflow::journal_options{.sync = coflow::sync_policy::fsync, .histories_in_memory = false},
                             job::definition);
        if (journal_ && journal_->recovered_runs() > 0) {
            say("tool started at t=" + std::to_string(seconds()) + "s: recovered " +
                std::to_string(journal_->recovered_runs()) + " jobs from its journal");
            for (const auto& h : rt_.histories()) {  // the runs, in start order
                if (h->workflow_type != "job") continue;
                jobs_.push_back(h->workflow_id);
                last_[h->workflow_id] = line(h->workflow_id);
                say("  " + last_[h->workflow_id]);
            }
        } else {
            say("tool started at t=" + std::to_string(seconds()) + "s with a new journal");
        }
    }

    // Carries out one command; false if it makes no sense.
    bool command(const std::string& text) {
        say("> " + text);
        std::istringstream in(text);
        std::string verb, name;
        int a = 0, b = 0;
        in >> verb;
        if (verb == "start" && in >> name >> a >> b) {
            (void)rt_.start_workflow(&job::run, a, b, {.id = name});
            jobs_.push_back(name);
        } else if (verb == "add" && in >> name >> a) {
            rt_.get_workflow_handle_for<job>(name).signal(&job::add, a);
        } else if (verb == "cancel" && in >> name) {
            rt_.get_workflow_handle_for<job>(name).signal(&job::cancel);
        } else if (verb == "wait" && in >> a) {
            for (int s = 0; s < a; ++s) tick();
        } else if (verb == "finish") {
            while (!all_closed()) tick();
            for (const std::string& id : jobs_)
                say("  " + id + ": " + rt_.get_workflow_handle_for<job>(id).result());
        } else if (verb == "status") {
            for (const std::string& id : jobs_) say("  " + line(id));
        } else {
            say("  ? unknown command");
            return false;
        }
        ex_.advance(0s);                   // the jobs take what the command sent them
        if (journal_) journal_->commit();  // and the journal has where they got to
        report_changes();
        return true;
    }

    [[nodiscard]] const std::vector<std::string>& printed() const { return printed_; }

private:
    void tick() {
        ex_.advance(1s);
        report_changes();
    }

    void report_changes() {
        for (const std::string& id : jobs_) {
            std::string now = line(id);
            if (now == last_[id]) continue;
            say("t=" + std::to_string(seconds()) + "s " + now);
            last_[id] = std::move(now);
        }
    }

    [[nodiscard]] std::string line(const std::string& id) {
        const auto h = rt_.get_workflow_handle_for<job>(id);
        const progress p = h.query(&job::get_progress);
        char text[160];
        std::snprintf(text, sizeof text, "%-10s %d/%d steps", id.c_str(), p.done, p.total);
        std::string out = text;
        if (h.is_closed()) return out + (p.cancelled ? ", cancelled" : ", done");
        out += ", step " + std::to_string(p.done + 1) + " ends at t=" + std::to_string(p.step_ends_s) + "s";
        return p.cancelled ? out + ", then it stops (cancelled)" : out;
    }

    [[nodiscard]] bool all_closed() {
        for (const std::string& id : jobs_)
            if (!rt_.get_workflow_handle_for<job>(id).is_closed()) return false;
        return true;
    }

    [[nodiscard]] std::int64_t seconds() const { return job::in_seconds(ex_.now()); }

    void say(std::string text) {
        if (print_) std::printf("%s\n", text.c_str());
        printed_.push_back(std::move(text));
    }

    bool print_;
    std::vector<std::string> printed_;
    coflow::deterministic_executor ex_;
    coflow::runtime rt_{ex_, {.record_history = true}};  // a journal is the runs' histories
    std::optional<coflow::journal> journal_;             // after the runtime: destroyed first
    std::vector<std::string> jobs_;                      // ids, in start order
    std::map<std::string, std::string> last_;            // each job's line as last printed
};

// --- the demonstration ---------------------------------------------------------------------------------

const std::vector<std::string> commands = {
    "start backup 4 2", "start report 3 3", "wait 3",           "start thumbnails 6 1",
    "add report 2",     "wait 4",           "cancel thumbnails", "status",
    // the tool is killed here, and started again
    "add backup 1", "wait 2", "status", "finish",
};
constexpr std::size_t killed_after = 8;  // commands carried out (and acknowledged) before the kill

int main() {
#ifdef RESUMABLE_JOBS_FORK
    const std::string pid = std::to_string(::getpid());
#elif defined(_WIN32)
    const std::string pid = std::to_string(::_getpid());
#else
    const std::string pid = "0";
#endif
    const std::string path =
        (std::filesystem::temp_directory_path() / ("coflow_resumable_jobs_" + pid + ".journal")).string();
    std::filesystem::remove(path);

#ifdef RESUMABLE_JOBS_FORK
    int to_tool[2], acks[2];
    if (::pipe(to_tool) != 0 || ::pipe(acks) != 0) return EXIT_FAILURE;
    std::fflush(stdout);  // else the child would inherit what is buffered
    const pid_t child = ::fork();
    if (child < 0) return EXIT_FAILURE;
    if (child == 0) {
        // The tool's first life: a command per line from the pipe, an acknowledgement after each.
        ::close(to_tool[1]);
        ::close(acks[0]);
        tool t(path, true);
        std::string text;
        for (char c; ::read(to_tool[0], &c, 1) == 1;) {
            if (c != '\n') {
                text += c;
                continue;
            }
            t.command(text);
            text.clear();
            std::fflush(stdout);  // its output before its acknowledgement: the parent prints after
            const char ack = 1;
            if (::write(acks[1], &ack, 1) != 1) break;
        }
        ::_exit(EXIT_FAILURE);  // the pipe closed: the parent is gone; never reached in the demo
    }
    ::close(to_tool[0]);
    ::close(acks[1]);
    for (std::size_t k = 0; k < killed_after; ++k) {
        const std::string text = commands[k] + "\n";
        char ack = 0;
        if (::write(to_tool[1], text.data(), text.size()) != static_cast<::ssize_t>(text.size()) ||
            ::read(acks[0], &ack, 1) != 1) {
            std::fprintf(stderr, "resumable_jobs: the tool died before acknowledging '%s'\n", commands[k].c_str());
            return EXIT_FAILURE;
        }
    }
    // The tool now waits for its next command: kill it there.
    int status = 0;
    ::kill(child, SIGKILL);
    if (::waitpid(child, &status, 0) != child || !WIFSIGNALED(status)) return EXIT_FAILURE;
    ::close(to_tool[1]);
    ::close(acks[0]);
#else
    // No fork: the tool's first life runs here, and the journal as it stood after its last command is
    // what a kill would have left; the copy is put back once the tool (and its journal) are gone.
    {
        tool t(path, true);
        for (std::size_t k = 0; k < killed_after; ++k) t.command(commands[k]);
        std::filesystem::copy_file(path, path + ".killed", std::filesystem::copy_options::overwrite_existing);
    }
    std::filesystem::rename(path + ".killed", path);
#endif
    std::printf("-- the tool was killed after %zu commands; it is started again on the same journal\n",
                killed_after);

    // The tool's second life: it recovers its jobs and carries out the rest of the commands.
    std::vector<std::string> after_kill;
    {
        tool t(path, true);
        const std::size_t banner = t.printed().size();
        for (std::size_t k = killed_after; k < commands.size(); ++k) t.command(commands[k]);
        after_kill.assign(t.printed().begin() + static_cast<std::ptrdiff_t>(banner), t.printed().end());
    }
    std::filesystem::remove(path);
    std::filesystem::remove(path + ".tmp");

    // The same commands in a tool that is never killed (and keeps no journal).
    std::vector<std::string> straight;
    {
        tool t("", false);
        for (std::size_t k = 0; k < commands.size(); ++k) {
            const auto before = static_cast<std::ptrdiff_t>(t.printed().size());
            t.command(commands[k]);
            if (k >= killed_after) straight.insert(straight.end(), t.printed().begin() + before, t.printed().end());
        }
    }
    const bool same = after_kill == straight;
    std::printf("a tool that was never killed printed %s after command %zu\n",
                same ? "the same" : "SOMETHING ELSE", killed_after);
    return same ? EXIT_SUCCESS : EXIT_FAILURE;
}
