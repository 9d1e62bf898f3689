// timer_heap_test.cpp: the deterministic executor's timers (detail/timer_heap.hpp) holding compact calls beside
// works: one (due, posting) order for both, and each call's reference given back exactly once, whether the
// call runs, is cancelled, goes through the ready queue as a work, or is dropped with the heap.
#include <coflow/deterministic_executor.hpp>
#include <coflow/detail/ready_queue.hpp>
#include <coflow/detail/timer_heap.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;
using coflow::detail::ready_queue;
using coflow::detail::ready_target;
using coflow::detail::timer_heap;

namespace {

// A call target that logs what runs and counts the references its entries hold.
struct logging_target : ready_target {
    logging_target(std::string label, std::vector<std::string>& to)
        : ready_target{&run_it, &drop_it}, name(std::move(label)), log(&to) {}
    static void run_it(ready_target& t, std::uint64_t arg) {
        auto& self = static_cast<logging_target&>(t);
        self.log->push_back(self.name + std::to_string(arg));
        --self.refs;
    }
    static void drop_it(ready_target& t) noexcept {
        auto& self = static_cast<logging_target&>(t);
        ++self.dropped;
        --self.refs;
    }
    // Posts a call of this target at `t`, taking the reference the entry holds (as the engine does).
    coflow::timer_id post(timer_heap& h, coflow::time_point t, std::uint64_t arg) {
        const coflow::timer_id id = h.post_call_at(t, *this, arg);
        ++refs;
        return id;
    }
    std::string name;
    std::vector<std::string>* log;
    int refs = 0;
    int dropped = 0;
};

coflow::time_point at(std::chrono::milliseconds ms) { return coflow::time_point{} + ms; }

// Moves the clock from 0 to `end` one millisecond at a time, running what each release made ready.
void run_to(timer_heap& h, ready_queue& q, std::chrono::milliseconds end) {
    for (auto now = 0ms; now <= end; ++now) {
        h.release_due(at(now), q);
        while (!q.empty()) q.run_one();
    }
}

}  // namespace

TEST_CASE("issue 19: timers parked as calls fire with parked works in one (due, posting) order",
          "[deterministic_executor][timers]") {
    std::vector<std::string> log;
    logging_target a("a", log);
    timer_heap h;
    ready_queue q;
    a.post(h, at(5ms), 1);
    (void)h.post_at(at(3ms), [&] { log.push_back("w1"); });
    a.post(h, at(3ms), 2);
    (void)h.post_at(at(5ms), [&] { log.push_back("w2"); });
    a.post(h, at(4ms), 3);
    CHECK(h.size() == 5);
    CHECK(h.next_due() == at(3ms));
    run_to(h, q, 10ms);
    CHECK(log == std::vector<std::string>{"w1", "a2", "a3", "a1", "w2"});
    CHECK(h.empty());
    CHECK(a.refs == 0);
    CHECK(a.dropped == 0);
}

TEST_CASE("issue 19: a cancelled call is dropped once and never runs, and its stale id is ignored",
          "[deterministic_executor][timers]") {
    std::vector<std::string> log;
    logging_target a("a", log);
    timer_heap h;
    ready_queue q;
    const coflow::timer_id first = a.post(h, at(2ms), 1);
    a.post(h, at(2ms), 2);
    const coflow::timer_id work_id = h.post_at(at(1ms), [&] { log.push_back("w"); });
    h.cancel(first);
    h.cancel(work_id);
    CHECK(a.dropped == 1);
    CHECK(a.refs == 1);
    h.cancel(first);  // stale: the slot's generation moved on
    CHECK(a.dropped == 1);
    // The freed slot is taken again; the old id still names nothing.
    a.post(h, at(3ms), 3);
    h.cancel(first);
    CHECK(a.dropped == 1);
    run_to(h, q, 5ms);
    CHECK(log == std::vector<std::string>{"a2", "a3"});
    CHECK(a.refs == 0);
}

TEST_CASE("issue 19: a call the ready queue refuses (another target's calls are queued) runs as a work, in order",
          "[deterministic_executor][timers]") {
    std::vector<std::string> log;
    logging_target a("a", log);
    logging_target b("b", log);
    timer_heap h;
    ready_queue q;
    a.post(h, at(1ms), 1);
    b.post(h, at(1ms), 2);
    a.post(h, at(1ms), 3);
    h.release_due(at(1ms), q);
    CHECK(q.size() == 3);
    while (!q.empty()) q.run_one();
    CHECK(log == std::vector<std::string>{"a1", "b2", "a3"});
    CHECK(a.refs == 0);
    CHECK(b.refs == 0);

    SECTION("released and never run: the ready queue drops each entry's reference once") {
        a.post(h, at(2ms), 4);
        b.post(h, at(2ms), 5);
        {
            ready_queue doomed;
            h.release_due(at(2ms), doomed);
            CHECK(doomed.size() == 2);
        }
        CHECK(a.dropped == 1);
        CHECK(b.dropped == 1);
        CHECK(a.refs == 0);
        CHECK(b.refs == 0);
    }
}

TEST_CASE("issue 19: calls still parked when the heap goes are dropped, once each",
          "[deterministic_executor][timers][lifetime]") {
    std::vector<std::string> log;
    logging_target a("a", log);
    {
        timer_heap h;
        for (std::uint64_t i = 0; i < 1'000; ++i) a.post(h, at(std::chrono::milliseconds(i % 37)), i);
        ready_queue q;
        run_to(h, q, 9ms);  // some fire, the rest stay parked
        CHECK(!h.empty());
        CHECK(a.refs == static_cast<int>(h.size()));
    }
    CHECK(a.refs == 0);
    CHECK(a.dropped + static_cast<int>(log.size()) == 1'000);
    CHECK(log.size() > 200);
}
