// wait_condition_vs_sleep.cpp: why Temporal's guide says to wait for a signal with wait_condition and not
// by sleeping in a loop. Two versions of one approval workflow wait for an "approve" signal, giving up
// after 30 seconds: one polls (`while not self.approved: await asyncio.sleep(1)`), the other awaits
// `workflow.wait_condition(lambda: self.approved, timeout=30)`. Each counts how often its body woke up,
// and the runtime records their histories (runtime_options{.record_history = true}) to compare.
// Scenario A: the approval comes at t=9.5s. Scenario B: it never comes.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

using namespace std::chrono_literals;

// Virtual time as "9.500s" (the executor's clock, or a time_point read from workflow code).
std::string seconds(coflow::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%03llds", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000));
    return buf;
}

// The discouraged way: wake up every second to look at the flag.
class polling_approval {
public:
    coflow::workflow<bool> run(int deadline_s) {
        for (int waited = 0; !approved_ && waited < deadline_s; ++waited) {
            co_await coflow::sleep(1s);  // a timer each time: events in the history, a wake-up for nothing
            ++wakeups_;
        }
        decided_at_ = coflow::now();
        co_return approved_;
    }
    void approve() { approved_ = true; }
    int wakeups() const { return wakeups_; }
    coflow::time_point decided_at() const { return decided_at_; }

    static constexpr auto definition = coflow::define<polling_approval>("polling_approval")
        .run(&polling_approval::run)
        .signal("approve", &polling_approval::approve)
        .query("wakeups", &polling_approval::wakeups)
        .query("decided_at", &polling_approval::decided_at);

private:
    bool approved_ = false;
    int wakeups_ = 0;
    coflow::time_point decided_at_{};
};

// The recommended way: one wait, woken by the signal handler (the predicate is re-tested only after
// this workflow's own code ran) or by the single timeout timer.
class waiting_approval {
public:
    coflow::workflow<bool> run(int deadline_s) {
        const bool approved =
            co_await coflow::wait_condition([this] { return approved_; }, std::chrono::seconds(deadline_s));
        ++wakeups_;
        decided_at_ = coflow::now();
        co_return approved;  // true: approved; false: the 30 s ran out
    }
    void approve() { approved_ = true; }
    int wakeups() const { return wakeups_; }
    coflow::time_point decided_at() const { return decided_at_; }

    static constexpr auto definition = coflow::define<waiting_approval>("waiting_approval")
        .run(&waiting_approval::run)
        .signal("approve", &waiting_approval::approve)
        .query("wakeups", &waiting_approval::wakeups)
        .query("decided_at", &waiting_approval::decided_at);

private:
    bool approved_ = false;
    int wakeups_ = 0;
    coflow::time_point decided_at_{};
};

// How many events of each kind a run's history holds.
std::map<std::string, int> count_kinds(const coflow::history& history) {
    std::map<std::string, int> kinds;
    for (const coflow::history_event& e : history.events) ++kinds[std::string(coflow::to_string(e.kind))];
    return kinds;
}

// One table row, from queries and from the recorded history.
template <class W>
void report(const char* label, const coflow::workflow_handle<W>& h) {
    const auto history = h.fetch_history();
    std::map<std::string, int> kinds = count_kinds(*history);
    std::printf("  %-8s %-9s %8d %8s %7zu %7d\n", label, h.result() ? "approved" : "gave up", h.query(&W::wakeups),
                seconds(h.query(&W::decided_at)).c_str(), history->events.size(), kinds["timer_started"]);
}

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};

    auto poll_a = rt.start_workflow(&polling_approval::run, 30, {.id = "poll-a"});
    auto wait_a = rt.start_workflow(&waiting_approval::run, 30, {.id = "wait-a"});
    auto poll_b = rt.start_workflow(&polling_approval::run, 30, {.id = "poll-b"});
    auto wait_b = rt.start_workflow(&waiting_approval::run, 30, {.id = "wait-b"});

    ex.advance(9500ms);  // 9.5 s pass: the pollers have woken up 9 times each, the waiters not once
    std::printf("t=%s wake-ups so far: poll-a %d, wait-a %d; approving poll-a and wait-a\n", seconds(ex.now()).c_str(),
                poll_a.query(&polling_approval::wakeups), wait_a.query(&waiting_approval::wakeups));
    poll_a.signal(&polling_approval::approve);
    wait_a.signal(&waiting_approval::approve);
    ex.run_until_idle();  // poll-b and wait-b are never approved: they give up at t=30s

    std::printf("\n  workflow outcome    wake-ups  decided  events  timers\n");
    report("poll-a", poll_a);
    report("wait-a", wait_a);
    report("poll-b", poll_b);
    report("wait-b", wait_b);

    // The whole story of wait-a: the timeout's timer, the signal, one wake-up.
    std::printf("\nwait-a's history:\n");
    const auto history = wait_a.fetch_history();
    for (std::size_t i = 0; i < history->events.size(); ++i)
        std::printf("  %s\n", history->events[i].describe(i).c_str());

    // Each tick of the poller adds four events (in Temporal, also a workflow task and its events).
    std::string kinds;
    for (const auto& [kind, n] : count_kinds(*poll_a.fetch_history()))
        kinds += (kinds.empty() ? "" : ", ") + std::to_string(n) + " " + kind;
    std::printf("\npoll-a's events: %s\n", kinds.c_str());

    // And the poller saw the approval only at its next tick.
    const coflow::time_point approved_at(9500ms);
    auto late = [&](coflow::time_point t) {
        return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(t - approved_at).count());
    };
    std::printf("\npoll-a noticed the approval %lld ms after it came, wait-a %lld ms after\n",
                late(poll_a.query(&polling_approval::decided_at)), late(wait_a.query(&waiting_approval::decided_at)));
}
