// deterministic_executor_test.cpp: the reference executor's ordering, its virtual clock, and its work storage.
// Everything here drives the executor directly, without a runtime: works are plain closures.
#include <coflow/deterministic_executor.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

static_assert(std::is_base_of_v<coflow::executor, coflow::deterministic_executor>);
static_assert(!std::is_copy_constructible_v<coflow::deterministic_executor>);
static_assert(!std::is_copy_constructible_v<coflow::work>);
static_assert(std::is_nothrow_move_constructible_v<coflow::work>);
static_assert(std::is_nothrow_move_assignable_v<coflow::work>);
static_assert(coflow::virtual_clock::is_steady);

namespace {

/// Counts constructions and destructions, so a test can tell that captured state was destroyed exactly once.
struct counted {
    static inline int constructed = 0;
    static inline int copied = 0;
    static inline int moved = 0;
    static inline int destroyed = 0;
    static void reset() { constructed = copied = moved = destroyed = 0; }
    static int alive() { return constructed + copied + moved - destroyed; }

    int value = 0;
    explicit counted(int v) : value(v) { ++constructed; }
    counted(const counted& o) : value(o.value) { ++copied; }
    counted(counted&& o) noexcept : value(o.value) { ++moved; }
    counted& operator=(const counted&) = delete;
    counted& operator=(counted&&) = delete;
    ~counted() { ++destroyed; }
};

coflow::time_point at(coflow::duration d) { return coflow::time_point{} + d; }

/// A named event and the executor time it ran at, as logged by the works below.
struct stamp {
    std::string name;
    coflow::time_point when;
    friend bool operator==(const stamp&, const stamp&) = default;
    friend std::ostream& operator<<(std::ostream& os, const stamp& s) {
        return os << s.name << "@" << s.when.time_since_epoch().count() << "ns";
    }
};

/// A closure bigger than coflow::work's 40-byte inline buffer: it takes the heap path.
struct big_work {
    std::array<int, 32> payload{};
    counted probe;
    std::vector<int>* out;
    void operator()() const {
        int sum = 0;
        for (int v : payload) sum += v;
        out->push_back(sum + probe.value);
    }
};
static_assert(sizeof(big_work) > 40, "big_work must not fit coflow::work's inline buffer");

/// A move-only closure bigger than the inline buffer.
struct big_move_only_work {
    std::unique_ptr<int> p;
    std::array<char, 64> padding{};
    std::vector<int>* out;
    void operator()() const { out->push_back(*p + padding[10]); }
};
static_assert(sizeof(big_move_only_work) > 40);
static_assert(!std::is_copy_constructible_v<big_move_only_work>);

/// A closure more aligned than the inline buffer guarantees: it must be stored with its own alignment.
struct alignas(64) over_aligned_work {
    int value;
    std::vector<int>* out;
    void operator()() const {
        const bool aligned = reinterpret_cast<std::uintptr_t>(this) % 64 == 0;
        out->push_back(aligned ? value : -1);
    }
};

}  // namespace

template <>
struct Catch::StringMaker<coflow::time_point> {
    static std::string convert(const coflow::time_point& t) {
        return std::to_string(t.time_since_epoch().count()) + "ns";
    }
};

TEST_CASE("posted work runs in the order it was posted", "[deterministic_executor]") {
    coflow::deterministic_executor ex;
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) ex.post([&order, i] { order.push_back(i); });

    CHECK(ex.ready_count() == 5);
    CHECK_FALSE(ex.idle());
    CHECK(order.empty());  // posting runs nothing

    CHECK(ex.run_until_idle() == 5);
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(ex.idle());
    CHECK(ex.now() == coflow::time_point{});  // no timer, so no time passed
}

TEST_CASE("posted work keeps its order when the queue grows while it wraps around", "[deterministic_executor]") {
    coflow::deterministic_executor ex;
    std::vector<int> order;
    int next = 0;
    // Interleave posting and running, so that the ring's head is in the middle when it has to grow.
    for (int round = 0; round < 10; ++round) {
        for (int i = 0; i < 3 + round * 7; ++i) {
            const int v = next++;
            ex.post([&order, v] { order.push_back(v); });
        }
        for (int i = 0; i < 2; ++i) REQUIRE(ex.step());
    }
    ex.run_until_idle();

    REQUIRE(order.size() == static_cast<std::size_t>(next));
    for (int i = 0; i < next; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
}

TEST_CASE("timers fire in order of due time with ties in the order they were posted", "[deterministic_executor]") {
    coflow::deterministic_executor ex;
    std::vector<std::string> order;
    std::vector<coflow::time_point> seen;
    auto timer = [&](std::string name) {
        return [&order, &seen, &ex, name] {
            order.push_back(name);
            seen.push_back(ex.now());
        };
    };
    ex.post_at(at(30ms), timer("a30"));
    ex.post_at(at(10ms), timer("b10"));
    ex.post_at(at(20ms), timer("c20"));
    ex.post_at(at(10ms), timer("d10"));
    ex.post_at(at(20ms), timer("e20"));
    ex.post_at(at(10ms), timer("f10"));

    CHECK(ex.timer_count() == 6);
    CHECK(ex.ready_count() == 0);
    CHECK(ex.run_until_idle() == 6);

    CHECK(order == std::vector<std::string>{"b10", "d10", "f10", "c20", "e20", "a30"});
    CHECK(seen == std::vector<coflow::time_point>{at(10ms), at(10ms), at(10ms), at(20ms), at(20ms), at(30ms)});
}

TEST_CASE("many timers with repeated due times fire sorted by due time then by posting order",
          "[deterministic_executor][determinism]") {
    coflow::deterministic_executor ex;
    struct fired {
        long long due_ms;
        int seq;
    };
    std::vector<fired> order;
    // A fixed scramble of due times with many ties (a heap is not stable: the tie-break must be explicit).
    constexpr int n = 500;
    for (int i = 0; i < n; ++i) {
        const long long due = (i * 7919LL) % 13;
        ex.post_at(at(std::chrono::milliseconds(due)), [&order, due, i] { order.push_back({due, i}); });
    }
    CHECK(ex.run_until_idle() == static_cast<std::size_t>(n));

    REQUIRE(order.size() == static_cast<std::size_t>(n));
    for (std::size_t i = 1; i < order.size(); ++i) {
        const fired& a = order[i - 1];
        const fired& b = order[i];
        const bool in_order = a.due_ms < b.due_ms || (a.due_ms == b.due_ms && a.seq < b.seq);
        INFO("position " << i << ": (" << a.due_ms << "ms, #" << a.seq << ") before (" << b.due_ms << "ms, #"
                         << b.seq << ")");
        CHECK(in_order);
    }
    CHECK(ex.now() == at(12ms));
}

TEST_CASE("timers posted while others fire, thousands at a time, fire exactly once in (due, posting) order",
          "[deterministic_executor][determinism]") {
    // A timer posted while another fires is due no earlier than now and was posted after every timer
    // already queued, so a correct queue fires all of them sorted by (due time, posting order). Random
    // due times with many ties, and heaps of every depth, exercise both sifting directions.
    coflow::deterministic_executor ex;
    struct fired {
        coflow::time_point due;
        int seq;
        coflow::time_point at;
    };
    std::vector<fired> order;
    std::uint64_t state = 12345;
    auto next = [&state](std::uint64_t bound) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (state >> 33) % bound;
    };
    int posted = 0;
    std::function<void(coflow::time_point)> post = [&](coflow::time_point due) {
        const int seq = posted++;
        ex.post_at(due, [&, due, seq] {
            order.push_back({due, seq, ex.now()});
            for (std::uint64_t k = next(3); k > 0 && posted < 20'000; --k)
                post(ex.now() + std::chrono::milliseconds(next(40)));
        });
    };
    for (int i = 0; i < 3'000; ++i) post(at(std::chrono::milliseconds(next(500))));
    ex.run_until_idle();

    REQUIRE(order.size() == static_cast<std::size_t>(posted));
    CHECK(posted > 6'000);
    std::vector<bool> seen(static_cast<std::size_t>(posted), false);
    for (std::size_t i = 0; i < order.size(); ++i) {
        const fired& f = order[i];
        REQUIRE(f.at == f.due);  // fired when due: the clock jumped exactly there
        REQUIRE_FALSE(seen[static_cast<std::size_t>(f.seq)]);
        seen[static_cast<std::size_t>(f.seq)] = true;
        if (i > 0) {
            const fired& e = order[i - 1];
            INFO("position " << i << ": #" << e.seq << " before #" << f.seq);
            REQUIRE((e.due < f.due || (e.due == f.due && e.seq < f.seq)));
        }
    }
}

TEST_CASE("run_until_idle jumps the clock to each timer and returns the number of works run",
          "[deterministic_executor]") {
    coflow::deterministic_executor ex;
    std::vector<std::string> log;
    ex.post([&] { log.push_back("ready@" + std::to_string(ex.now().time_since_epoch().count())); });
    ex.post_at(at(5h), [&] { log.push_back("5h"); });
    ex.post_at(at(1h), [&] {
        log.push_back("1h");
        // posted from a timer: relative to the jumped clock
        ex.post_at(ex.now() + 30min, [&] { log.push_back("1h30"); });
        ex.post([&] { log.push_back("after-1h"); });
    });

    CHECK(ex.run_until_idle() == 5);
    CHECK(log == std::vector<std::string>{"ready@0", "1h", "after-1h", "1h30", "5h"});
    CHECK(ex.now() == at(5h));  // left at the last timer, no further
    CHECK(ex.idle());

    SECTION("an idle executor runs nothing and keeps its clock") {
        CHECK(ex.run_until_idle() == 0);
        CHECK(ex.now() == at(5h));
    }
}

TEST_CASE("advance runs only what is due up to now plus d and leaves the clock exactly there",
          "[deterministic_executor]") {
    coflow::deterministic_executor ex;
    std::vector<stamp> log;
    auto timer = [&](std::string name) {
        return [&log, &ex, name] { log.push_back({name, ex.now()}); };
    };
    ex.post_at(at(10ms), timer("t10"));
    ex.post_at(at(20ms), timer("t20"));
    ex.post_at(at(30ms), timer("t30"));
    ex.post(timer("ready"));

    // Due exactly at the target counts as due; each timer sees its own due time, not the target.
    CHECK(ex.advance(20ms) == 3);
    CHECK(ex.now() == at(20ms));
    REQUIRE(log.size() == 3);
    CHECK(log[0] == stamp{"ready", at(0ms)});
    CHECK(log[1] == stamp{"t10", at(10ms)});
    CHECK(log[2] == stamp{"t20", at(20ms)});
    CHECK(ex.timer_count() == 1);

    CHECK(ex.advance(5ms) == 0);  // nothing due: only the clock moves
    CHECK(ex.now() == at(25ms));
    CHECK(log.size() == 3);

    CHECK(ex.advance(5ms) == 1);
    CHECK(ex.now() == at(30ms));
    REQUIRE(log.size() == 4);
    CHECK(log[3] == stamp{"t30", at(30ms)});

    CHECK(ex.advance(1ms) == 0);
    CHECK(ex.now() == at(31ms));
    CHECK(ex.idle());
}

TEST_CASE("advance runs timers that works post inside the window and leaves later ones", "[deterministic_executor]") {
    coflow::deterministic_executor ex;
    std::vector<stamp> log;
    ex.post_at(at(10ms), [&] {
        log.push_back({"t10", ex.now()});
        ex.post_at(ex.now() + 5ms, [&] { log.push_back({"t15", ex.now()}); });    // inside the window
        ex.post_at(ex.now() + 50ms, [&] { log.push_back({"t60", ex.now()}); });   // beyond it
    });

    CHECK(ex.advance(20ms) == 2);
    CHECK(ex.now() == at(20ms));
    REQUIRE(log.size() == 2);
    CHECK(log[1] == stamp{"t15", at(15ms)});
    CHECK(ex.timer_count() == 1);

    CHECK(ex.advance(40ms) == 1);
    CHECK(ex.now() == at(60ms));
    REQUIRE(log.size() == 3);
    CHECK(log[2] == stamp{"t60", at(60ms)});
}

TEST_CASE("a timer due now or in the past runs after the ready work and never moves the clock back",
          "[deterministic_executor]") {
    coflow::deterministic_executor ex;
    ex.advance(100ms);
    REQUIRE(ex.now() == at(100ms));

    std::vector<stamp> log;
    auto record = [&](std::string name) {
        return [&log, &ex, name] { log.push_back({name, ex.now()}); };
    };
    ex.post_at(ex.now(), record("due-now"));
    ex.post([&, child = record("ready-a.child")] {
        log.push_back({"ready-a", ex.now()});
        ex.post(child);  // ready work posted by ready work still goes before the due timers
    });
    ex.post_at(at(40ms), record("past"));
    ex.post(record("ready-b"));

    const std::vector<stamp> expected{{"ready-a", at(100ms)},
                                      {"ready-b", at(100ms)},
                                      {"ready-a.child", at(100ms)},
                                      {"past", at(100ms)},
                                      {"due-now", at(100ms)}};

    SECTION("with run_until_idle") {
        CHECK(ex.run_until_idle() == 5);
        CHECK(log == expected);
    }
    SECTION("with advance by zero") {
        CHECK(ex.advance(0ms) == 5);
        CHECK(log == expected);
    }
    SECTION("with step") {
        int steps = 0;
        while (ex.step()) ++steps;
        CHECK(steps == 5);
        CHECK(log == expected);
    }
    CHECK(ex.now() == at(100ms));
    CHECK(ex.idle());
}

TEST_CASE("step runs one work at a time and moves the clock only to reach the next timer",
          "[deterministic_executor]") {
    coflow::deterministic_executor ex;
    CHECK_FALSE(ex.step());  // nothing to run
    CHECK(ex.now() == coflow::time_point{});

    std::vector<std::string> log;
    ex.post_at(at(5s), [&] { log.push_back("t5"); });
    ex.post_at(at(5s), [&] { log.push_back("t5b"); });
    ex.post([&] { log.push_back("a"); });
    ex.post([&] {
        log.push_back("b");
        ex.post([&] { log.push_back("c"); });
    });

    REQUIRE(ex.step());
    CHECK(log == std::vector<std::string>{"a"});
    CHECK(ex.now() == coflow::time_point{});

    REQUIRE(ex.step());
    CHECK(log == std::vector<std::string>{"a", "b"});
    REQUIRE(ex.step());
    CHECK(log == std::vector<std::string>{"a", "b", "c"});
    CHECK(ex.now() == coflow::time_point{});  // ready work never moves the clock

    REQUIRE(ex.step());  // no ready work: jump to the first timer and run exactly one work
    CHECK(log == std::vector<std::string>{"a", "b", "c", "t5"});
    CHECK(ex.now() == at(5s));

    REQUIRE(ex.step());
    CHECK(log == std::vector<std::string>{"a", "b", "c", "t5", "t5b"});
    CHECK(ex.now() == at(5s));

    CHECK_FALSE(ex.step());
    CHECK(ex.now() == at(5s));
    CHECK(ex.idle());
}

TEST_CASE("run_until stops as soon as the predicate is true", "[deterministic_executor]") {
    coflow::deterministic_executor ex;
    int n = 0;
    for (int i = 0; i < 10; ++i) ex.post([&n] { ++n; });
    ex.post_at(at(1min), [&n] { n += 100; });

    SECTION("it checks before each step") {
        CHECK(ex.run_until([&] { return n == 3; }));
        CHECK(n == 3);
        CHECK(ex.ready_count() == 7);
        CHECK(ex.timer_count() == 1);
    }
    SECTION("a predicate already true runs nothing") {
        CHECK(ex.run_until([] { return true; }));
        CHECK(n == 0);
        CHECK(ex.ready_count() == 10);
    }
    SECTION("it moves the clock to a timer when it has to, and no further") {
        CHECK(ex.run_until([&] { return n >= 100; }));
        CHECK(n == 110);
        CHECK(ex.now() == at(1min));
        CHECK(ex.idle());
    }
    SECTION("it returns false when the executor runs dry first") {
        int calls = 0;
        CHECK_FALSE(ex.run_until([&] {
            ++calls;
            return n == 1000;
        }));
        CHECK(n == 110);
        CHECK(ex.idle());
        CHECK(calls == 13);  // before each of the 11 steps, before the step that found nothing, and after it
    }
}

TEST_CASE("run_until accepts anything with is_closed and stops when it becomes true", "[deterministic_executor]") {
    struct fake_handle {
        const bool* closed;
        [[nodiscard]] bool is_closed() const { return *closed; }
    };
    coflow::deterministic_executor ex;
    bool closed = false;
    int ran = 0;
    ex.post([&] { ++ran; });
    ex.post([&] {
        ++ran;
        closed = true;
    });
    ex.post([&] { ++ran; });

    CHECK(ex.run_until(fake_handle{&closed}));
    CHECK(ran == 2);
    CHECK(ex.ready_count() == 1);

    bool never = false;
    CHECK_FALSE(ex.run_until(fake_handle{&never}));
    CHECK(ran == 3);
}

TEST_CASE("a work may post more work, which runs after the work already queued", "[deterministic_executor]") {
    coflow::deterministic_executor ex;
    std::vector<std::string> log;
    ex.post([&] {
        log.push_back("a");
        ex.post([&] {
            log.push_back("a.1");
            ex.post([&] { log.push_back("a.1.1"); });
        });
        ex.post([&] { log.push_back("a.2"); });
    });
    ex.post([&] { log.push_back("b"); });

    CHECK(ex.run_until_idle() == 5);
    CHECK(log == std::vector<std::string>{"a", "b", "a.1", "a.2", "a.1.1"});

    SECTION("a chain of self-posting work runs to its end in one call") {
        int remaining = 10'000;
        struct again {
            coflow::deterministic_executor* ex;
            int* remaining;
            void operator()() const {
                if (--*remaining > 0) ex->post(again{ex, remaining});
            }
        };
        ex.post(again{&ex, &remaining});
        CHECK(ex.run_until_idle() == 10'000);
        CHECK(remaining == 0);
    }
}

TEST_CASE("an exception thrown by a work reaches the caller and the executor stays usable",
          "[deterministic_executor][!throws]") {
    coflow::deterministic_executor ex;
    std::vector<std::string> log;

    SECTION("from run_until_idle") {
        ex.post([&] { log.push_back("a"); });
        ex.post([&] {
            log.push_back("boom");
            throw std::runtime_error("work failed");
        });
        ex.post([&] { log.push_back("c"); });
        ex.post_at(at(1s), [&] { log.push_back("t1"); });

        CHECK_THROWS_WITH(ex.run_until_idle(), "work failed");
        CHECK(log == std::vector<std::string>{"a", "boom"});
        CHECK(ex.ready_count() == 1);  // the failed work is gone, the rest is still queued
        CHECK(ex.timer_count() == 1);

        CHECK(ex.run_until_idle() == 2);
        CHECK(log == std::vector<std::string>{"a", "boom", "c", "t1"});
        CHECK(ex.now() == at(1s));
    }
    SECTION("from step") {
        ex.post([&] { throw std::logic_error("step failed"); });
        ex.post([&] { log.push_back("b"); });

        CHECK_THROWS_AS(ex.step(), std::logic_error);
        CHECK(ex.ready_count() == 1);
        CHECK(ex.step());
        CHECK(log == std::vector<std::string>{"b"});
        CHECK_FALSE(ex.step());
    }
    SECTION("from a timer inside advance") {
        ex.post_at(at(10ms), [&] {
            log.push_back("t10@" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      ex.now().time_since_epoch())
                                                      .count()));
            throw std::runtime_error("timer failed");
        });
        ex.post_at(at(20ms), [&] { log.push_back("t20"); });

        CHECK_THROWS_WITH(ex.advance(1s), "timer failed");
        CHECK(log == std::vector<std::string>{"t10@10"});
        CHECK(ex.timer_count() == 1);  // the later timer is still pending
        CHECK(ex.now() <= at(1s));

        CHECK(ex.advance(1s) == 1);
        CHECK(log == std::vector<std::string>{"t10@10", "t20"});
        CHECK(ex.idle());
    }
    SECTION("from run_until") {
        ex.post([&] { throw std::runtime_error("until failed"); });
        ex.post([&] { log.push_back("b"); });
        CHECK_THROWS_WITH(ex.run_until([&] { return !log.empty(); }), "until failed");
        CHECK(ex.run_until([&] { return !log.empty(); }));
        CHECK(log == std::vector<std::string>{"b"});
    }
}

TEST_CASE("no real time passes: the clock jumps over a thousand hours", "[deterministic_executor]") {
    coflow::deterministic_executor ex;
    std::vector<coflow::time_point> fired;
    ex.post_at(at(999h), [&] { fired.push_back(ex.now()); });
    ex.post_at(at(1001h), [&] { fired.push_back(ex.now()); });

    CHECK(ex.advance(1000h) == 1);
    CHECK(ex.now() == at(1000h));
    CHECK(fired == std::vector<coflow::time_point>{at(999h)});

    // A timer years away is reached in one jump too.
    constexpr auto ten_years = std::chrono::hours(24 * 365 * 10);
    ex.post_at(ex.now() + ten_years, [&] { fired.push_back(ex.now()); });
    CHECK(ex.run_until_idle() == 2);
    CHECK(fired == std::vector<coflow::time_point>{at(999h), at(1001h), at(1000h) + ten_years});
    CHECK(ex.now() == at(1000h) + ten_years);

    SECTION("many small advances add up exactly") {
        const coflow::time_point start = ex.now();
        for (int frame = 0; frame < 1000; ++frame) ex.advance(16ms);
        CHECK(ex.now() - start == 16s);
    }
}

TEST_CASE("works bigger than the inline buffer run and destroy their state exactly once",
          "[deterministic_executor][lifetime]") {
    counted::reset();
    std::vector<int> out;
    {
        coflow::deterministic_executor ex;
        big_work w{{}, counted{7}, &out};
        for (int i = 0; i < 32; ++i) w.payload[static_cast<std::size_t>(i)] = i;
        ex.post(std::move(w));
        ex.post_at(at(1s), big_work{{}, counted{1000}, &out});
        // Move the queue around: the heap-stored closures must survive the ring's growth.
        for (int i = 0; i < 20; ++i) ex.post([&out, i] { out.push_back(-i); });

        CHECK(ex.run_until_idle() == 22);
        REQUIRE(out.size() == 22);
        CHECK(out[0] == 7 + 31 * 32 / 2);
        CHECK(out[21] == 1000);
        CHECK(counted::alive() == 1);  // `w` (moved-from) is still in scope; the queued copies are gone
    }
    CHECK(counted::alive() == 0);
}

TEST_CASE("move-only captures can be posted, small or big", "[deterministic_executor][lifetime]") {
    coflow::deterministic_executor ex;
    std::vector<int> out;

    auto small = std::make_unique<int>(41);
    ex.post([p = std::move(small), &out] { out.push_back(*p + 1); });
    ex.post(big_move_only_work{std::make_unique<int>(5), {}, &out});
    ex.post_at(at(1ms), [p = std::make_unique<std::string>("timer"), &out] { out.push_back(static_cast<int>(p->size())); });

    CHECK(ex.run_until_idle() == 3);
    CHECK(out == std::vector<int>{42, 5, 5});
}

TEST_CASE("an over-aligned closure runs at its own alignment", "[deterministic_executor]") {
    coflow::deterministic_executor ex;
    std::vector<int> out;
    for (int i = 1; i <= 5; ++i) ex.post(over_aligned_work{i, &out});
    ex.post_at(at(1s), over_aligned_work{6, &out});
    CHECK(ex.run_until_idle() == 6);
    CHECK(out == std::vector<int>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("work never run is destroyed with the executor", "[deterministic_executor][lifetime]") {
    counted::reset();
    bool ran = false;
    {
        coflow::deterministic_executor ex;
        std::vector<int> sink;
        ex.post([c = counted{1}, &ran] { ran = c.value == 1; });                // inline
        ex.post(big_work{{}, counted{2}, &sink});                              // heap
        ex.post_at(at(1h), [c = counted{3}, &ran] { ran = c.value == 3; });     // inline timer
        ex.post_at(at(2h), big_work{{}, counted{4}, &sink});                   // heap timer
        CHECK(counted::alive() == 4);
        CHECK(ex.ready_count() == 2);
        CHECK(ex.timer_count() == 2);
    }
    CHECK_FALSE(ran);
    CHECK(counted::alive() == 0);
    CHECK(counted::copied == 0);  // posting moves closures, never copies them
}

TEST_CASE("coflow work can be moved and reset without running it", "[deterministic_executor][lifetime]") {
    counted::reset();
    int calls = 0;
    {
        coflow::work a = [c = counted{1}, &calls] { calls += c.value; };
        coflow::work b = big_work{{}, counted{2}, nullptr};
        CHECK(static_cast<bool>(a));
        CHECK(static_cast<bool>(b));
        CHECK(counted::alive() == 2);

        coflow::work moved = std::move(a);
        CHECK_FALSE(static_cast<bool>(a));  // NOLINT(bugprone-use-after-move): a moved-from work is empty
        moved();
        CHECK(calls == 1);

        moved = std::move(b);  // destroys the small closure, takes the big one
        CHECK(counted::alive() == 1);
        b.reset();  // already empty: nothing happens
        moved.reset();
        CHECK(counted::alive() == 0);
        CHECK_FALSE(static_cast<bool>(moved));
    }
    CHECK(counted::alive() == 0);
    CHECK(calls == 1);
}

TEST_CASE("issue 14: advance(duration::max()) runs to the end of the clock and no further",
          "[deterministic_executor][regression]") {
    coflow::deterministic_executor ex;
    int ran = 0;
    ex.post_at(coflow::time_point::max(), [&] { ++ran; });
    ex.post_at(at(1h), [&] { ++ran; });
    CHECK(ex.advance(1s) == 0);
    CHECK(ex.advance(coflow::duration::max()) == 2);  // now + d is past the end of the clock: the end
    CHECK(ran == 2);
    CHECK(ex.now() == coflow::time_point::max());
    CHECK(ex.advance(1ns) == 0);
    CHECK(ex.advance(coflow::duration::max()) == 0);
    CHECK(ex.now() == coflow::time_point::max());
    CHECK(ex.idle());
}

TEST_CASE("issue 14: a timer at time_point::max() runs when the clock gets there, and time then stops",
          "[deterministic_executor][regression]") {
    coflow::deterministic_executor ex;
    std::vector<stamp> log;
    ex.post_at(coflow::time_point::max(), [&] { log.push_back({"end", ex.now()}); });
    ex.post_at(at(2s), [&] { log.push_back({"t2", ex.now()}); });
    CHECK(ex.run_until_idle() == 2);
    REQUIRE(log.size() == 2);
    CHECK(log[0] == stamp{"t2", at(2s)});
    CHECK(log[1] == stamp{"end", coflow::time_point::max()});
    ex.post_at(coflow::time_point::max(), [&] { log.push_back({"again", ex.now()}); });
    CHECK(ex.advance(1s) == 1);  // due at the end, which is now
    CHECK(ex.now() == coflow::time_point::max());
    CHECK(log.size() == 3);
}

TEST_CASE("issue 17: cancel destroys a timer's work without running it and ignores stale or unknown ids",
          "[deterministic_executor][lifetime][regression]") {
    counted::reset();
    coflow::deterministic_executor ex;
    std::vector<std::string> log;
    std::vector<int> sink;
    const coflow::timer_id a = ex.post_at(at(10ms), [&log, c = counted{1}] { log.push_back("a" + std::to_string(c.value)); });
    const coflow::timer_id b = ex.post_at(at(20ms), big_work{{}, counted{2}, &sink});  // on the heap
    const coflow::timer_id c = ex.post_at(at(30ms), [&log, c = counted{3}] { log.push_back("c" + std::to_string(c.value)); });
    CHECK(a != b);
    CHECK(b != c);
    CHECK(counted::alive() == 3);

    ex.cancel(b);
    CHECK(counted::alive() == 2);  // destroyed at once, not when due
    CHECK(ex.timer_count() == 2);
    ex.cancel(b);                          // cancelled already
    ex.cancel(coflow::timer_id{0xdead'beef'0000'0000});  // never posted
    CHECK(ex.timer_count() == 2);

    ex.cancel(c);  // the last timer: the clock stops at a's time
    CHECK(ex.run_until_idle() == 1);
    CHECK(log == std::vector<std::string>{"a1"});
    CHECK(sink.empty());
    CHECK(ex.now() == at(10ms));
    CHECK(counted::alive() == 0);

    // a's slot is reused by d: a's old id must not cancel d.
    const coflow::timer_id d = ex.post_at(at(40ms), [&log] { log.push_back("d"); });
    ex.cancel(a);
    CHECK(ex.timer_count() == 1);
    ex.run_until_idle();
    CHECK(log == std::vector<std::string>{"a1", "d"});
    ex.cancel(d);  // already run
    CHECK(ex.idle());
}

TEST_CASE("issue 17: a timer whose time came is not cancelled on its way to run", "[deterministic_executor][regression]") {
    coflow::deterministic_executor ex;
    std::vector<std::string> log;
    coflow::timer_id second = 0;
    ex.post_at(at(10ms), [&] {
        log.push_back("first");
        ex.cancel(second);  // due at the same time: already taken to run, so it runs
    });
    second = ex.post_at(at(10ms), [&] { log.push_back("second"); });
    ex.run_until_idle();
    CHECK(log == std::vector<std::string>{"first", "second"});
}

namespace {

// The obvious executor, as deterministic_executor documents itself: pending timers in a sorted set of
// (due, posting order), ready work in a FIFO, cancel by lookup.
class reference_executor {
public:
    coflow::timer_id post_at(coflow::time_point t, std::function<void()> w) {
        const coflow::timer_id id = next_id_++;
        pending_.emplace(std::make_pair(t, id), std::move(w));
        due_.emplace(id, t);
        return id;
    }
    void cancel(coflow::timer_id id) {
        const auto it = due_.find(id);
        if (it == due_.end()) return;
        pending_.erase({it->second, id});
        due_.erase(it);
    }
    void advance(coflow::duration d) {
        const coflow::time_point target = now_ + d;
        for (;;) {
            while (!ready_.empty()) {
                std::function<void()> w = std::move(ready_.front());
                ready_.pop_front();
                w();
            }
            if (pending_.empty() || pending_.begin()->first.first > target) break;
            now_ = std::max(now_, pending_.begin()->first.first);
            while (!pending_.empty() && pending_.begin()->first.first <= now_) {
                due_.erase(pending_.begin()->first.second);
                ready_.push_back(std::move(pending_.begin()->second));
                pending_.erase(pending_.begin());
            }
        }
        now_ = std::max(now_, target);
    }
    [[nodiscard]] coflow::time_point now() const { return now_; }
    [[nodiscard]] std::size_t timer_count() const { return pending_.size(); }

private:
    std::map<std::pair<coflow::time_point, coflow::timer_id>, std::function<void()>> pending_;
    std::map<coflow::timer_id, coflow::time_point> due_;
    std::deque<std::function<void()>> ready_;
    coflow::time_point now_{};
    coflow::timer_id next_id_ = 0;
};

// A random program of posts, cancels (of pending, run and cancelled timers) and advances of every size,
// whose works log themselves and sometimes cancel or post timers. Each executor runs its own copy, with
// its own generator seeded alike: they stay in step as long as they run the same works in the same order.
template <class Executor>
struct timer_program {
    Executor ex;
    std::vector<coflow::timer_id> ids;  // by label, in posting order
    std::vector<std::pair<int, coflow::time_point>> ran;
    std::vector<std::size_t> pending_after_round;
    std::uint64_t state = 2024;

    std::uint64_t next(std::uint64_t bound) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return (state >> 33) % bound;
    }
    void cancel_some() {
        if (!ids.empty()) ex.cancel(ids[static_cast<std::size_t>(next(ids.size()))]);
    }
    void post(coflow::duration in) {
        const int label = static_cast<int>(ids.size());
        ids.push_back(ex.post_at(ex.now() + in, [this, label] {
            ran.emplace_back(label, ex.now());
            const std::uint64_t act = next(8);
            if (act == 0) cancel_some();
            if (act == 1 && ids.size() < 4'000) post(std::chrono::milliseconds(next(20)));
        }));
    }
    void run(int rounds) {
        for (int round = 0; round < rounds; ++round) {
            const std::uint64_t op = next(10);
            if (op < 5) post(std::chrono::milliseconds(next(60)));
            else if (op < 8) cancel_some();
            else ex.advance(std::chrono::milliseconds(next(op == 8 ? 5 : 40)));
            pending_after_round.push_back(ex.timer_count());
        }
        ex.advance(std::chrono::hours(1));
    }
};

}  // namespace

TEST_CASE("issue 17: timers fire in (due, posting) order with cancellations interleaved, as a simple reference does",
          "[deterministic_executor][determinism][regression]") {
    timer_program<coflow::deterministic_executor> real;
    timer_program<reference_executor> ref;
    real.run(4'000);
    ref.run(4'000);
    CHECK(real.ids.size() > 1'500);
    CHECK(real.ran.size() > 1'000);
    CHECK(real.ran.size() < real.ids.size());  // some were cancelled
    CHECK(real.pending_after_round == ref.pending_after_round);
    REQUIRE(real.ran == ref.ran);
    CHECK(real.ex.now() == ref.ex.now());
    CHECK(real.ex.idle());
}
