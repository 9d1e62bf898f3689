// signal_limits.cpp: the two signal limits of Temporal's guide, what a sender sees when it hits one, and
// what to do about it, with nothing lost. Temporal allows 10,000 received signals per workflow run and
// 2,000 pending outgoing signals per workflow; coflow has both, as runtime_options, and this example
// makes them tiny (5 and 3) so that they are easy to hit.
//
//   1. A client sends 7 signals to a "tally" workflow whose run takes at most 5. The 6th is refused at
//      the sender (coflow::signal_limit_exceeded; Temporal: INVALID_ARGUMENT) and was not taken. The
//      workflow sees coflow::info().continue_as_new_suggested, drains its queue and continues as new
//      (fresh counters); the client runs the executor and sends the refused signal again.
//   2. A "notifier" workflow queues signals through an external handle without awaiting them: the 4th
//      call throws at once, since only 3 may be queued by one step. Awaiting them lets them go out.
//   3. The notifier sends to the tally faster than the tally can take them: its co_await throws
//      signal_limit_exceeded; it waits a moment (the tally continues as new) and sends again.
#include <coflow/coflow.hpp>

#include <chrono>
#include <iostream>
#include <string>

using namespace std::chrono_literals;

// Adds up the numbers it is sent. When the run nears its received-signal limit it takes what is queued,
// then continues as new with its total: the new run may receive 5 more.
class tally {
public:
    coflow::workflow<void> run(int total, int run_no) {
        total_ = total, run_no_ = run_no;
        for (;;) {
            total_ += co_await numbers.receive();
            const coflow::workflow_info info = coflow::info();
            if (info.continue_as_new_suggested && numbers.empty()) {  // drained: nothing is left behind
                std::cout << "  [tally] run " << run_no_ << " received " << info.received_signals << " of "
                          << info.max_received_signals << ", total " << total_ << ": continue as new\n";
                co_await coflow::continue_as_new(&tally::run, total_, run_no_ + 1);
            }
        }
    }
    int total() const { return total_; }
    int run_no() const { return run_no_; }

    coflow::signal_channel<int> numbers;

private:
    int total_ = 0;
    int run_no_ = 0;

public:
    static constexpr auto definition = coflow::define<tally>("tally")
        .run(&tally::run)
        .signal("add", &tally::numbers)
        .query("total", &tally::total)
        .query("run_no", &tally::run_no);
};

class notifier {
public:
    coflow::workflow<int> run() {
        auto target = coflow::get_external_workflow_handle_for<tally>("tally");

        // Part 2: one step queues signals without awaiting them; they would go out when the step ends.
        std::cout << "  [notifier] queues 10, 20, 30 and 40 in one step\n";
        auto s10 = target.signal(&tally::numbers, 10);
        auto s20 = target.signal(&tally::numbers, 20);
        auto s30 = target.signal(&tally::numbers, 30);
        std::cout << "  [notifier] pending outgoing signals: " << coflow::info().pending_outgoing_signals << '\n';
        try {
            auto s40 = target.signal(&tally::numbers, 40);  // the 4th: refused here, at the call
            co_await s40;
        } catch (const coflow::signal_limit_exceeded& e) {
            std::cout << "  [notifier] " << e.what() << '\n';
        }
        // The cure: await what was sent. The first co_await ends the step: 10, 20 and 30 go out, in
        // order, and it resumes once the tally has accepted 10 (by then 20 and 30 are accepted too).
        co_await s10;
        co_await s20;
        co_await s30;
        std::cout << "  [notifier] 10, 20, 30 accepted; pending outgoing signals: "
                  << coflow::info().pending_outgoing_signals << '\n';

        // Part 3: the tally's run has taken 6 and 7 from the client and 10, 20, 30 from us, and has not
        // run since: it is full, and co_await reports the target's refusal. Wait a moment (the tally
        // runs and continues as new), then resend: the refused signal was not taken.
        int retries = 0;
        for (int n = 40; n <= 60;) {
            bool accepted = true;
            try {
                co_await target.signal(&tally::numbers, n);
            } catch (const coflow::signal_limit_exceeded& e) {
                std::cout << "  [notifier] " << n << " refused: " << e.what() << '\n';
                accepted = false;
            }
            if (accepted) {
                std::cout << "  [notifier] " << n << " accepted\n";
                n += 10;
            } else {
                ++retries;
                co_await coflow::sleep(10ms);  // no co_await inside a catch block: retry out here
                std::cout << "  [notifier] resends " << n << '\n';
            }
        }
        co_return retries;
    }
    static constexpr auto definition = coflow::define<notifier>("notifier").run(&notifier::run);
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 5, .max_pending_outgoing_signals = 3}};

    // Part 1: a client and the received-signal limit.
    std::cout << "1. a client sends 1..7 to tally (5 signals per run)\n";
    auto h = rt.start_workflow(&tally::run, 0, 1, {.id = "tally"});
    int sent_total = 0;
    for (int n = 1; n <= 7; ++n) {
        try {
            h.signal(&tally::numbers, n);
            sent_total += n;
        } catch (const coflow::signal_limit_exceeded& e) {
            const coflow::workflow_description d = h.describe();
            std::cout << "  " << n << " refused: " << e.what() << "\n  describe(): received " << d.received_signals
                      << " in run " << d.run_id.substr(0, 8) << "..., which has not run yet\n";
            ex.run_until_idle();  // the tally takes its 5 and continues as new
            const coflow::workflow_description d2 = h.describe();
            std::cout << "  after run_until_idle: received " << d2.received_signals << " in run "
                      << d2.run_id.substr(0, 8) << "... (run " << h.query(&tally::run_no) << ", total "
                      << h.query(&tally::total) << "); resend " << n << '\n';
            h.signal(&tally::numbers, n);  // nothing was taken the first time: nothing doubles
            sent_total += n;
        }
    }
    ex.run_until_idle();
    std::cout << "  tally: " << h.query(&tally::total) << " in run " << h.query(&tally::run_no) << ", client sent "
              << sent_total << '\n';

    // Parts 2 and 3: a workflow sending signals, and both limits.
    std::cout << "2. a notifier workflow sends to the tally (3 pending outgoing signals per step)\n";
    auto n = rt.start_workflow(&notifier::run, {.id = "notifier"});
    ex.run_until_idle();
    sent_total += 10 + 20 + 30 + 40 + 50 + 60;
    std::cout << "notifier: " << coflow::to_string(n.status()) << " after " << n.result() << " retry(ies)\n"
              << "tally: total " << h.query(&tally::total) << " in run " << h.query(&tally::run_no)
              << ", everything sent: " << sent_total
              << (h.query(&tally::total) == sent_total ? " (nothing lost, nothing doubled)" : " (MISMATCH)") << '\n';
}
