// Versioning (patch.hpp): patched(id) and deprecate_patch(id) let saves made with older workflow code
// load after the code changed, taking the path their history took.
#include <coflow/coflow.hpp>

#include <string>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

namespace {

// Version 1 adds each charge; version 2 patches in a fee and a one-second settlement; version 3 keeps only
// the new path (the patch deprecated).
template <int Version>
class fees_t {
public:
    coflow::workflow<int> run() {
        for (;;) {
            co_await coflow::wait_condition([this] { return !charges_.empty(); });
            const int amount = *charges_.try_receive();
            if constexpr (Version == 1) {
                total_ += amount;
            } else if constexpr (Version == 2) {
                if (coflow::patched("fee")) {
                    co_await coflow::sleep(1s);
                    total_ += amount + 1;
                } else {
                    total_ += amount;
                }
            } else {
                coflow::deprecate_patch("fee");
                co_await coflow::sleep(1s);
                total_ += amount + 1;
            }
        }
    }
    [[nodiscard]] int total() const { return total_; }

private:
    coflow::signal_channel<int> charges_;
    int total_ = 0;

public:
    static constexpr auto definition =
        coflow::define<fees_t>("fees").run(&fees_t::run).signal("charge", &fees_t::charges_).query("total", &fees_t::total);
};

coflow::runtime_options recording() {
    coflow::runtime_options o;
    o.record_history = true;
    return o;
}

// A run of version V charged `amount`, saved once settled.
template <int V>
std::string saved_after_charge(int amount) {
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, recording());
    auto h = rt.start_workflow(&fees_t<V>::run, {.id = "f"});
    ex.advance(0s);
    h.signal("charge", amount);
    ex.advance(2s);
    return coflow::save(rt);
}

// Loads `saved` with version V, charges 5 more and returns the total after settling.
template <int V>
int load_and_charge(const std::string& saved, int& total_at_load) {
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, recording());
    coflow::load(rt, saved, fees_t<V>::definition);
    auto h = rt.get_workflow_handle("f");
    total_at_load = h.query<int>("total");
    h.signal("charge", 5);
    ex.advance(2s);
    return h.query<int>("total");
}

bool has_patch_event(const coflow::runtime& rt) {
    for (const auto& h : rt.histories())
        for (const auto& e : h->events)
            if (e.kind == coflow::event_kind::patched && e.name == "fee") return true;
    return false;
}

}  // namespace

TEST_CASE("issue 15: a run saved by code without the patch loads with it and keeps the old path",
          "[patch][regression]") {
    const std::string v1 = saved_after_charge<1>(10);
    int at_load = 0;
    CHECK(load_and_charge<2>(v1, at_load) == 15);  // no fee: the run decided before the patch existed
    CHECK(at_load == 10);
}

TEST_CASE("issue 15: a run started by patched code takes the new path and records it", "[patch][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, recording());
    auto h = rt.start_workflow(&fees_t<2>::run, {.id = "f"});
    ex.advance(0s);
    h.signal("charge", 10);
    ex.advance(2s);
    CHECK(h.query<int>("total") == 11);
    CHECK(has_patch_event(rt));
    int at_load = 0;
    CHECK(load_and_charge<2>(coflow::save(rt), at_load) == 17);
    CHECK(at_load == 11);
}

TEST_CASE("issue 15: deprecate_patch loads runs recorded with the patch and without it", "[patch][regression]") {
    int at_load = 0;
    CHECK(load_and_charge<3>(saved_after_charge<2>(10), at_load) == 17);  // its history has the patched event
    CHECK(at_load == 11);
    CHECK(load_and_charge<3>(saved_after_charge<3>(10), at_load) == 17);  // recorded by version 3 itself: none
    CHECK(at_load == 11);

    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, recording());
    auto h = rt.start_workflow(&fees_t<3>::run, {.id = "f"});
    ex.advance(0s);
    h.signal("charge", 1);
    ex.advance(2s);
    CHECK_FALSE(has_patch_event(rt));  // deprecated: a live run records nothing
}

TEST_CASE("issue 15: a run that took the old path does not load once the patch is deprecated",
          "[patch][regression]") {
    const std::string v1 = saved_after_charge<1>(10);
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, recording());
    try {
        coflow::load(rt, v1, fees_t<3>::definition);
        FAIL("version 3 loaded a run that took version 1's path");
    } catch (const coflow::nondeterminism_error& e) {
        CHECK_THAT(e.what(), Catch::Matchers::Contains("workflow 'f'") && Catch::Matchers::Contains("differs at event") &&
                                   Catch::Matchers::Contains("sleep"));
    }
}

TEST_CASE("issue 15: patched outside workflow code is refused", "[patch][regression]") {
    CHECK_THROWS_AS(coflow::patched("x"), coflow::not_in_workflow);
    CHECK_THROWS_AS(coflow::deprecate_patch("x"), coflow::not_in_workflow);
}
