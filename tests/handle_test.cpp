// Client handles: queries (typed, by name, callables), results, describe, cancel, terminate, type checks.
#include <coflow/coflow.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "coflow_catch.hpp"
#include "counted.hpp"

using namespace std::chrono_literals;

namespace {

class shop {
public:
    coflow::workflow<int> run(int opening_stock) {
        stock_ = opening_stock;
        co_await coflow::wait_condition([this] { return closed_; });
        co_return stock_;
    }
    void sell(int n) { stock_ -= n; }
    void close() { closed_ = true; }
    int stock() const { return stock_; }
    int stock_after(int n, int times) const { return stock_ - n * times; }
    std::string describe_item(std::string item) const { return item + ":" + std::to_string(stock_); }
    int broken() const { throw std::runtime_error("query broke"); }

    static constexpr auto definition = coflow::define<shop>("shop")
                                           .run(&shop::run)
                                           .signal("sell", &shop::sell)
                                           .signal("close", &shop::close)
                                           .query("stock", &shop::stock)
                                           .query("stock_after", &shop::stock_after)
                                           .query("describe_item", &shop::describe_item)
                                           .query("broken", &shop::broken);

private:
    int stock_ = 0;
    bool closed_ = false;
};

class other {
public:
    coflow::workflow<void> run() { co_return; }
    static constexpr auto definition = coflow::define<other>("other").run(&other::run);
};

class guarded {
public:
    coflow::workflow<int> run() {
        counted probe;  // lives in the frame
        co_await coflow::sleep(10s);
        reached_end_ = true;
        co_return 1;
    }
    bool reached_end() const { return reached_end_; }
    static constexpr auto definition =
        coflow::define<guarded>("guarded").run(&guarded::run).query("reached_end", &guarded::reached_end);

private:
    bool reached_end_ = false;
};

}  // namespace

TEST_CASE("queries answer synchronously with parameters, typed, by name and by callable", "[handle][query]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&shop::run, 10, {.id = "shop-1"});
    ex.run_until_idle();
    h.signal(&shop::sell, 3);
    ex.run_until_idle();
    CHECK(h.query(&shop::stock) == 7);
    CHECK(h.query(&shop::stock_after, 2, 3) == 1);
    CHECK(h.query(&shop::describe_item, "pen") == "pen:7");
    auto u = rt.get_workflow_handle("shop-1");
    CHECK(u.query<int>("stock") == 7);
    CHECK(u.query<int>("stock_after", 1, 2) == 5);
    CHECK(u.query<std::string>("describe_item", "ink") == "ink:7");
    CHECK(h.query([](const shop& s) { return s.stock() * 2; }) == 14);
}

TEST_CASE("queries work on completed workflows and record nothing", "[handle][query]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&shop::run, 5);
    ex.run_until_idle();
    const auto before = h.describe();
    for (int i = 0; i < 100; ++i) (void)h.query(&shop::stock);
    const auto after = h.describe();
    CHECK(after.received_signals == before.received_signals);
    CHECK(after.pending_signals == before.pending_signals);
    CHECK(ex.idle());  // nothing was scheduled
    h.signal(&shop::sell, 2);
    h.signal(&shop::close);
    ex.run_until_idle();
    REQUIRE(h.status() == coflow::workflow_status::completed);
    CHECK(h.query(&shop::stock) == 3);
    CHECK(rt.get_workflow_handle(h.id()).query<int>("stock") == 3);
    CHECK(h.result() == 3);
}

TEST_CASE("a query that throws fails only that query", "[handle][query][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&shop::run, 4, {.id = "shop-q"});
    ex.run_until_idle();
    try {
        (void)h.query(&shop::broken);
        FAIL("no exception");
    } catch (const coflow::query_failed& e) {
        const std::string what = e.what();
        CHECK(what.find("'shop-q'") != std::string::npos);
        CHECK(what.find("'broken'") != std::string::npos);
        CHECK(what.find("query broke") != std::string::npos);
        CHECK_THROWS_WITH(std::rethrow_exception(e.cause()), "query broke");
    }
    CHECK_THROWS_AS(rt.get_workflow_handle("shop-q").query<int>("broken"), coflow::query_failed);
    CHECK_THROWS_AS(h.query([](const shop&) -> int { throw std::logic_error("x"); }), coflow::query_failed);
    CHECK(h.status() == coflow::workflow_status::running);
    h.signal(&shop::close);
    ex.run_until_idle();
    CHECK(h.result() == 4);
}

TEST_CASE("an unknown query name lists the known ones, and bad arguments name the types", "[handle][query][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    (void)rt.start_workflow(&shop::run, 1, {.id = "shop-u"});
    auto u = rt.get_workflow_handle("shop-u");
    try {
        (void)u.query<int>("stok");
        FAIL("no exception");
    } catch (const coflow::unknown_query& e) {
        const std::string what = e.what();
        CHECK(what.find("'stok'") != std::string::npos);
        CHECK(what.find("stock, stock_after, describe_item, broken") != std::string::npos);
    }
    try {
        (void)u.query<int>("stock_after", 1);
        FAIL("no exception");
    } catch (const coflow::argument_mismatch& e) {
        const std::string what = e.what();
        CHECK(what.find("expects (int, int)") != std::string::npos);
        CHECK(what.find("given (int)") != std::string::npos);
    }
    try {
        (void)u.query<long>("stock");
        FAIL("no exception");
    } catch (const coflow::argument_mismatch& e) {
        CHECK(std::string(e.what()).find("result type int, given result type long") != std::string::npos);
    }
}

TEST_CASE("result() reports a running, failed, cancelled or terminated run with its own error", "[handle][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&shop::run, 2, {.id = "shop-r"});
    ex.run_until_idle();
    try {
        (void)h.result();
        FAIL("no exception");
    } catch (const coflow::result_not_ready& e) {
        CHECK(std::string(e.what()).find("'shop-r'") != std::string::npos);
    }
    auto u = rt.get_workflow_handle("shop-r");
    CHECK_THROWS_AS(u.result<std::string>(), coflow::argument_mismatch);
    h.signal(&shop::close);
    ex.run_until_idle();
    CHECK(u.result<int>() == 2);
    CHECK(h.result() == 2);  // results can be read again
}

TEST_CASE("a typed handle on a workflow of another type throws workflow_type_mismatch", "[handle][errors]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    (void)rt.start_workflow(&other::run, {.id = "not-a-shop"});
    auto h = rt.get_workflow_handle_for<shop>("not-a-shop");
    try {
        h.signal(&shop::sell, 1);
        FAIL("no exception");
    } catch (const coflow::workflow_type_mismatch& e) {
        const std::string what = e.what();
        CHECK(what.find("'other'") != std::string::npos);
        CHECK(what.find("'shop'") != std::string::npos);
    }
    CHECK_THROWS_AS(h.query(&shop::stock), coflow::workflow_type_mismatch);
    auto by_run = rt.get_workflow_handle_for(&shop::run, "not-a-shop");
    CHECK_THROWS_AS(by_run.result(), coflow::workflow_type_mismatch);
}

TEST_CASE("describe reports id, type, status, run id and signal counts", "[handle]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&shop::run, 3, {.id = "shop-d"});
    h.signal(&shop::sell, 1);
    auto d = h.describe();
    CHECK(d.id == "shop-d");
    CHECK(d.type == "shop");
    CHECK(d.status == coflow::workflow_status::running);
    CHECK(d.run_id.size() == 36);
    CHECK(d.pending_signals == 1);
    CHECK(d.received_signals == 1);
    ex.run_until_idle();
    d = h.describe();
    CHECK(d.pending_signals == 0);
    CHECK(d.received_signals == 1);
}

TEST_CASE("terminate ends a run at once and runs none of its code again", "[handle][lifetime]") {
    counted::reset();
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&guarded::run, {.id = "g"});
    ex.advance(1s);
    CHECK(counted::alive() == 1);
    h.terminate("operator said so");
    CHECK(counted::alive() == 0);  // the frame is gone
    CHECK(h.status() == coflow::workflow_status::terminated);
    CHECK(ex.timer_count() == 0);  // the timer it had set went with the frame
    ex.run_until_idle();
    CHECK_FALSE(h.query(&guarded::reached_end));
    try {
        (void)h.result();
        FAIL("no exception");
    } catch (const coflow::workflow_terminated& e) {
        CHECK(std::string(e.what()).find("operator said so") != std::string::npos);
    }
    CHECK_THROWS_AS(h.terminate("again"), coflow::workflow_closed);
}

TEST_CASE("a handle follows the latest run of its id", "[handle]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto first = rt.start_workflow(&shop::run, 1, {.id = "shop-x"});
    first.signal(&shop::close);
    ex.run_until_idle();
    const auto first_run = first.describe().run_id;
    auto second = rt.start_workflow(&shop::run, 50, {.id = "shop-x"});
    ex.run_until_idle();
    CHECK(first.describe().run_id != first_run);
    CHECK(first.query(&shop::stock) == 50);
    CHECK(first.describe().run_id == second.describe().run_id);
}

TEST_CASE("issue 19: a typed handle checks the type of a run that an untyped call found first",
          "[handle][errors][regression]") {
    // A typed handle trusts its cached slot without checking the type again: the slot must never be
    // cached for it unchecked, even by the untyped calls it inherits.
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&shop::run, 7, {.id = "x"});
    h.signal(&shop::close);
    ex.run_until_idle();
    REQUIRE(rt.forget("x"));
    (void)rt.start_workflow(&other::run, {.id = "x"});  // the id reused by a run of another type
    ex.run_until_idle();
    CHECK(h.status() == coflow::workflow_status::completed);  // untyped: reaches the other run, caches it
    CHECK(h.describe().type == "other");
    CHECK_THROWS_AS(h.query(&shop::stock), coflow::workflow_type_mismatch);
    CHECK_THROWS_AS(h.signal(&shop::sell, 1), coflow::workflow_type_mismatch);
    CHECK_THROWS_AS(h.query([](const shop& s) { return s.stock(); }), coflow::workflow_type_mismatch);
    CHECK_THROWS_AS(h.result(), coflow::workflow_type_mismatch);

    // A handle made by id for the right type checks once, then takes the fast path.
    (void)rt.start_workflow(&shop::run, 9, {.id = "y"});
    ex.run_until_idle();
    auto by_id = rt.get_workflow_handle_for<shop>("y");
    CHECK(by_id.status() == coflow::workflow_status::running);  // untyped first
    CHECK(by_id.query(&shop::stock) == 9);
    CHECK(by_id.query(&shop::stock) == 9);
}

TEST_CASE("issue 14: no handle reaches another run through a slot reused 2^32 times", "[handle][errors][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto& eng = rt.engine_internals();
    // Runs `id` (a workflow of type `other`) to its end, then forgets it: its slot is free again.
    auto run_and_forget = [&](const std::string& id) {
        (void)rt.start_workflow(&other::run, {.id = id});
        ex.run_until_idle();
        REQUIRE(rt.forget(id));
    };
    SECTION("a typed handle checks the type of the run it reaches before reading its object") {
        auto h = rt.start_workflow(&shop::run, 7, {.id = "x"});  // knows the slot of its run
        h.signal(&shop::close);
        ex.run_until_idle();
        REQUIRE(h.result() == 7);
        const std::uint32_t slot = eng.find("x")->slot;
        REQUIRE(rt.forget("x"));
        eng.set_free_slot_generation(slot, 0xffffffffu);  // as if the slot had served four billion runs since
        run_and_forget("y");                               // the slot's last generation
        (void)rt.start_workflow(&other::run, {.id = "x"});  // the id reused by a run of another type
        ex.run_until_idle();
        try {
            (void)h.query(&shop::stock);
            FAIL("no exception");
        } catch (const coflow::workflow_type_mismatch& e) {
            CHECK(std::string(e.what()) ==
                  "[coflow.workflow_type_mismatch] workflow 'x' is of type 'other', but the handle is for type 'shop'");
        }
        CHECK_THROWS_AS(h.signal(&shop::sell, 1), coflow::workflow_type_mismatch);
        CHECK_THROWS_AS(h.result(), coflow::workflow_type_mismatch);
        CHECK(h.status() == coflow::workflow_status::completed);  // untyped calls reach the id's run as usual
    }
    SECTION("a handle whose run was forgotten does not reach the run that took its slot") {
        auto h = rt.get_workflow_handle("a");
        (void)rt.start_workflow(&other::run, {.id = "a"});
        ex.run_until_idle();
        REQUIRE(h.status() == coflow::workflow_status::completed);  // the handle has seen the run's slot
        const std::uint32_t slot = eng.find("a")->slot;
        REQUIRE(rt.forget("a"));
        eng.set_free_slot_generation(slot, 0xffffffffu);
        run_and_forget("b");
        (void)rt.start_workflow(&other::run, {.id = "c"});
        CHECK_THROWS_AS(h.status(), coflow::workflow_not_found);
    }
}
