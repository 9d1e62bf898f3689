// updatable_timer.cpp: Temporal's updatable-timer sample (samples-python's updatable_timer) with coflow::timer.
// A workflow sleeps until a deadline; the "update_deadline" signal moves the deadline, earlier or later, while
// it sleeps, and the "get_deadline" query reads it. The "set_deadline" update moves it too and answers with the
// deadline it replaced; its validator turns away a negative time before the workflow takes it. Times are
// seconds on the executor's virtual clock.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

using namespace std::chrono_literals;

long long seconds(coflow::time_point t) {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}
coflow::time_point at_second(std::int64_t s) { return coflow::time_point{} + std::chrono::seconds(s); }

class updatable_timer {
public:
    // @workflow.run: sleep until the deadline, whatever it has become by then.
    coflow::workflow<std::int64_t> run(std::int64_t deadline_s) {
        wake_up_.reset_at(at_second(deadline_s));
        std::printf("  %6llds  workflow: sleeping until %llds\n", seconds(coflow::now()), seconds(*wake_up_.deadline()));
        // The sample loops on wait_condition(updated, timeout=deadline - now); a coflow::timer moves its
        // wake-up itself when reset, and the wake-up it replaces is cancelled, not left to fire.
        co_await wake_up_;
        std::printf("  %6llds  workflow: woke up\n", seconds(coflow::now()));
        co_return seconds(coflow::now());
    }

    // @workflow.signal update_deadline(time): any time, even one already passed (it then wakes at once).
    void update_deadline(std::int64_t deadline_s) {
        std::printf("  %6llds  signal:   deadline moved from %llds to %llds\n", seconds(coflow::now()),
                    seconds(*wake_up_.deadline()), static_cast<long long>(deadline_s));
        wake_up_.reset_at(at_second(deadline_s));
    }

    // @workflow.update set_deadline(time) -> the deadline it replaces, with a validator.
    std::int64_t set_deadline(std::int64_t deadline_s) {
        const std::int64_t before = get_deadline();
        wake_up_.reset_at(at_second(deadline_s));
        std::printf("  %6llds  update:   deadline moved from %llds to %llds\n", seconds(coflow::now()),
                    static_cast<long long>(before), static_cast<long long>(deadline_s));
        return before;
    }
    void validate_deadline(std::int64_t deadline_s) const {
        if (deadline_s < 0) throw std::invalid_argument("a deadline is a time since the epoch, not negative");
    }

    // @workflow.query get_deadline().
    std::int64_t get_deadline() const { return seconds(wake_up_.deadline().value_or(coflow::time_point{})); }

    static constexpr auto definition = coflow::define<updatable_timer>("updatable_timer")
                                           .run(&updatable_timer::run)
                                           .signal("update_deadline", &updatable_timer::update_deadline)
                                           .update("set_deadline", &updatable_timer::set_deadline,
                                                   &updatable_timer::validate_deadline)
                                           .query("get_deadline", &updatable_timer::get_deadline);

private:
    coflow::timer wake_up_;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    const auto report = [&](const coflow::workflow_handle<updatable_timer>& h) {
        std::printf("  %6llds  client:   get_deadline -> %llds; executor timers pending: %zu\n", seconds(ex.now()),
                    static_cast<long long>(h.query(&updatable_timer::get_deadline)), ex.timer_count());
    };

    // As the sample's starter does: start it to sleep for a day, then move the deadline up.
    auto h = rt.start_workflow(&updatable_timer::run, std::int64_t{86'400}, {.id = "updatable-timer"});
    ex.advance(10s);
    report(h);

    h.signal(&updatable_timer::update_deadline, std::int64_t{3'600});  // earlier: in an hour
    ex.advance(20min);
    report(h);

    h.signal(&updatable_timer::update_deadline, std::int64_t{7'200});  // later: in two hours
    ex.advance(0s);
    report(h);

    // An update moves it as the signal does, and answers: the caller gets the deadline it replaced.
    auto moved = h.start_update(&updatable_timer::set_deadline, std::int64_t{5'400});
    ex.advance(0s);
    std::printf("  %6llds  client:   set_deadline -> replaced %llds\n", seconds(ex.now()),
                static_cast<long long>(moved.result()));
    auto refused = h.start_update(&updatable_timer::set_deadline, std::int64_t{-1});
    ex.advance(0s);
    try {
        (void)refused.result();
    } catch (const coflow::update_rejected& e) {
        std::printf("  %6llds  client:   set_deadline(-1) rejected: %s\n", seconds(ex.now()), e.what());
    }
    report(h);

    ex.run_until_idle();  // the clock jumps to the one live wake-up, never to a replaced one
    std::printf("result: woke up at %llds; executor timers pending: %zu\n", static_cast<long long>(h.result()),
                ex.timer_count());

    // A deadline moved to a time already passed wakes the sleeper in the executor's next turn.
    auto late = rt.start_workflow(&updatable_timer::run, std::int64_t{9'000}, {.id = "late"});
    ex.advance(1s);
    late.signal(&updatable_timer::update_deadline, std::int64_t{0});
    ex.advance(0s);
    std::printf("result: woke up at %llds\n", static_cast<long long>(late.result()));
}
