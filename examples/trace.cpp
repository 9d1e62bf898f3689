// trace.cpp: record what workflows did, replay it, and write a trace you can open in Perfetto.
//
// With runtime_options{.record_history = true} every run keeps an event history: its start, each
// signal accepted and handled, each wait and timer, children, and how it ended. The history explains
// the run (print it, or export JSON lines), reproduces it (coflow::replay re-runs the code against it
// and names the first decision that differs), and draws it (a Chrome trace-event file, one process per
// run: open https://ui.perfetto.dev and drop the file on it, or use chrome://tracing).
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

using namespace std::chrono_literals;

// A payment takes a while: a child workflow the order awaits.
class payment {
public:
    coflow::workflow<std::string> run(int cents) {
        co_await coflow::sleep(std::chrono::milliseconds(cents / 10));  // the bank is slow
        co_return "paid " + std::to_string(cents);
    }
    static constexpr auto definition = coflow::define<payment>("payment").run(&payment::run);
};

class order {
public:
    coflow::workflow<std::string> run(std::string item) {
        // Wait (at most a minute) for the customer to confirm, then pay through a child workflow.
        if (!co_await coflow::wait_condition([this] { return confirmed_; }, 60s)) co_return item + ": abandoned";
        const std::string receipt = co_await coflow::execute_child_workflow(&payment::run, price_, {.id = "pay-" + item});
        co_return item + ": " + receipt;
    }
    void confirm(int price) {
        confirmed_ = true;
        price_ = price;
    }
    static constexpr auto definition = coflow::define<order>("order").run(&order::run).signal("confirm", &order::confirm);

private:
    bool confirmed_ = false;
    int price_ = 0;
};

int main(int argc, char** argv) {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};

    auto book = rt.start_workflow(&order::run, "book", {.id = "order-book"});
    auto lamp = rt.start_workflow(&order::run, "lamp", {.id = "order-lamp"});
    ex.advance(2s);
    book.signal(&order::confirm, 1500);  // the lamp is never confirmed
    ex.run_until_idle();
    std::printf("%s\n%s\n\n", book.result().c_str(), lamp.result().c_str());

    // The book order's history, event by event.
    const auto history = book.fetch_history();
    for (std::size_t i = 0; i < history->events.size(); ++i) std::printf("%s\n", history->events[i].describe(i).c_str());

    // Replay: the same code makes the same decisions, so this returns quietly. Had the code changed (say,
    // a different timeout), it would throw coflow::nondeterminism_error naming the first differing event.
    coflow::replay(*history, order::definition);
    std::printf("\nreplay of %s: same decisions\n", history->workflow_id.c_str());

    // One JSON object per line, for tools; and the trace of all runs, for eyes.
    std::printf("first JSON line: %s", history->to_json_lines().substr(0, history->to_json_lines().find('\n') + 1).c_str());
    const char* path = argc > 1 ? argv[1] : "coflow_trace.json";
    std::ofstream(path) << rt.trace_json();
    std::printf("trace of %zu runs written to %s: open it in https://ui.perfetto.dev\n", rt.histories().size(),
                argc > 1 ? "the given file" : path);
}
