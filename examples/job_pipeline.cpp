// job_pipeline.cpp: coflow inside a small command-line tool. Each job is a workflow whose steps (fetch,
// transform, publish) are child workflows, run one after the other; all jobs run at once. The tool's
// main loop drives the executor and prints each job's progress, read with a query, whenever it changes.
// A step that throws fails its child workflow; the job awaiting it gets coflow::workflow_failed (the
// step's exception as cause()), and so does the tool when it asks for the job's result.
//
//   usage: job_pipeline [name:size_mb ...]   (a name alone means 10 MB; with no arguments, a built-in
//                                             demo in which one job fails)
//
// The steps' durations are coflow::sleep on the executor's virtual clock, so the output is the same on
// every run. A real tool would call ex.advance(elapsed wall-clock time) in its loop instead.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

// --- the steps: each a workflow of its own, started by the job as a child --------------------------------

class fetch_step {
public:
    coflow::workflow<int> run(std::string source, int size_mb) {  // returns the records fetched
        co_await coflow::sleep(100ms + size_mb * 10ms);
        (void)source;
        co_return size_mb * 10;
    }
    static constexpr auto definition = coflow::define<fetch_step>("fetch").run(&fetch_step::run);
};

class transform_step {
public:
    coflow::workflow<int> run(int records) {  // returns the rows produced
        if (records == 0) throw std::runtime_error("nothing to transform: the input is empty");
        co_await coflow::sleep(records * 2ms);
        co_return records / 2;
    }
    static constexpr auto definition = coflow::define<transform_step>("transform").run(&transform_step::run);
};

class publish_step {
public:
    coflow::workflow<std::string> run(std::string name, int rows) {  // returns where the output went
        co_await coflow::sleep(300ms);
        co_return "out/" + name + ".csv (" + std::to_string(rows) + " rows)";
    }
    static constexpr auto definition = coflow::define<publish_step>("publish").run(&publish_step::run);
};

// --- the job: runs the steps in order and answers "progress" -----------------------------------------

struct progress {
    int done = 0;
    int total = 3;
    std::string step;  // the step running now (or the one that failed)
};

class job {
public:
    coflow::workflow<std::string> run(std::string name, int size_mb) {
        // The job's own id (Temporal: workflow.info().workflow_id); its children are "job-2/fetch" etc.
        const std::string id = coflow::info().id;
        progress_.step = "fetch";
        const int records =
            co_await coflow::execute_child_workflow(&fetch_step::run, name, size_mb, {.id = id + "/fetch"});
        ++progress_.done;
        progress_.step = "transform";
        const int rows =
            co_await coflow::execute_child_workflow(&transform_step::run, records, {.id = id + "/transform"});
        ++progress_.done;
        progress_.step = "publish";
        std::string where =
            co_await coflow::execute_child_workflow(&publish_step::run, name, rows, {.id = id + "/publish"});
        ++progress_.done;
        progress_.step = "";
        co_return where;
    }

    progress get_progress() const { return progress_; }

private:
    progress progress_;

public:
    static constexpr auto definition =
        coflow::define<job>("job").run(&job::run).query("progress", &job::get_progress);
};

// --- the tool ---------------------------------------------------------------------------------------

// The innermost cause of a failure: workflow_failed wraps what the failing workflow threw.
std::string root_cause(std::exception_ptr e) {
    for (;;) {
        try {
            std::rethrow_exception(e);
        } catch (const coflow::workflow_failed& f) {
            e = f.cause();
        } catch (const std::exception& x) {
            return x.what();
        }
    }
}

int main(int argc, char** argv) {
    std::vector<std::string> specs(argv + 1, argv + argc);
    const bool demo = specs.empty();
    if (demo) specs = {"logs:40", "photos:120", "empty:0", "invoices:15"};

    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    struct tracked {
        std::string name;
        coflow::workflow_handle<job> handle;
        std::string last_line;
    };
    std::vector<tracked> jobs;
    for (const std::string& spec : specs) {
        const auto colon = spec.find(':');
        const std::string name = spec.substr(0, colon);
        const std::string size = colon == std::string::npos ? "10" : spec.substr(colon + 1);
        if (name.empty() || size.empty() || size.size() > 6 ||
            size.find_first_not_of("0123456789") != std::string::npos) {
            std::fprintf(stderr, "job_pipeline: '%s' is not name:size_mb\nusage: job_pipeline [name:size_mb ...]\n",
                         spec.c_str());
            return 2;
        }
        const int size_mb = std::stoi(size);
        const std::string id = "job-" + std::to_string(jobs.size() + 1);
        jobs.push_back({name, rt.start_workflow(&job::run, name, size_mb, {.id = id}), ""});
        std::printf("started %s: %s, %d MB\n", id.c_str(), name.c_str(), size_mb);
    }

    // The main loop: advance the clock a tick, then print what changed. Queries run no workflow code:
    // asking for progress as often as we like costs the jobs nothing.
    int failed = 0;
    std::size_t open = jobs.size();
    for (coflow::duration tick = 0ms; open > 0; tick = 250ms) {
        ex.advance(tick);  // the first tick, of 0 ms, only lets the jobs start
        const double t = std::chrono::duration<double>(ex.now().time_since_epoch()).count();
        for (tracked& j : jobs) {
            if (j.last_line == "closed") continue;
            const progress p = j.handle.query(&job::get_progress);
            std::string line = std::to_string(p.done) + "/" + std::to_string(p.total) + " steps, " +
                               std::to_string(100 * p.done / p.total) + "%";
            if (!j.handle.is_closed()) {
                line += " (" + p.step + ")";
            } else {
                try {
                    line += ", done: " + j.handle.result();
                } catch (const coflow::workflow_failed& e) {  // the query still works on the failed run
                    line += ", FAILED in " + p.step + ": " + root_cause(e.cause());
                    ++failed;
                }
            }
            if (line != j.last_line)
                std::printf("t=%.2fs [%s] %-9s %s\n", t, j.handle.id().c_str(), j.name.c_str(), line.c_str());
            j.last_line = j.handle.is_closed() ? "closed" : line;
            if (j.handle.is_closed()) --open;
        }
    }

    // The whole error, as the tool would log it: each workflow in the chain, then the step's exception.
    for (const tracked& j : jobs) {
        if (j.handle.status() != coflow::workflow_status::failed) continue;
        try {
            (void)j.handle.result();
        } catch (const coflow::workflow_failed& e) {
            std::printf("%s\n", e.what());
        }
    }
    std::printf("%zu jobs: %zu succeeded, %d failed\n", jobs.size(), jobs.size() - static_cast<std::size_t>(failed),
                failed);
    // Exit status 1 if a job failed; the demo's failure is on purpose, so the demo exits 0.
    return failed > 0 && !demo ? 1 : 0;
}
