// tests/icf/icf_check.cpp: linked with identical code and data folding (lld --icf=all), which merges
// read-only data and functions whose bytes are equal. Type ids must stay distinct and by-name argument
// checks must still tell types apart; this program fails loudly if they do not.
#include <coflow/coflow.hpp>

#include <cstdio>
#include <set>
#include <string>
#include <utility>

namespace {

int failures = 0;
void expect(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what);
        ++failures;
    }
}

template <int N>
struct tag {};

struct meters {
    int value = 0;
};
struct seconds {
    int value = 0;
};

template <class... Ts>
std::size_t distinct_ids() {
    const std::set<coflow::detail::type_id> ids{coflow::detail::type_id_of<Ts>()...};
    return ids.size();
}

template <int... N>
std::size_t distinct_tag_ids(std::integer_sequence<int, N...>) {
    return distinct_ids<tag<N>...>();
}

class odometer {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return total_ >= 10; });
        co_return total_;
    }
    void drive(meters m) { total_ += m.value; }
    int total() const { return total_; }
    static constexpr auto definition = coflow::define<odometer>("odometer")
                                           .run(&odometer::run)
                                           .signal("drive", &odometer::drive)
                                           .query("total", &odometer::total);

private:
    int total_ = 0;
};

// The same shape as odometer: its type table may fold with odometer's, its type id must not.
class stopwatch {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return total_ >= 10; });
        co_return total_;
    }
    void tick(seconds s) { total_ += s.value; }
    int total() const { return total_; }
    static constexpr auto definition = coflow::define<stopwatch>("stopwatch")
                                           .run(&stopwatch::run)
                                           .signal("tick", &stopwatch::tick)
                                           .query("total", &stopwatch::total);

private:
    int total_ = 0;
};

}  // namespace

int main() {
    expect(distinct_tag_ids(std::make_integer_sequence<int, 64>{}) == 64, "64 empty tag types have distinct ids");
    expect(distinct_ids<int, unsigned, long, float, double, char, bool, meters, seconds, odometer, stopwatch>() == 11,
           "fundamental and class types have distinct ids");

    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&odometer::run, {.id = "car"});
    auto by_name = rt.get_workflow_handle("car");
    try {
        by_name.signal("drive", seconds{4});
        expect(false, "a signal taking meters refuses seconds by name");
    } catch (const coflow::argument_mismatch&) {
    }
    try {
        (void)by_name.query<unsigned>("total");
        expect(false, "a query returning int refuses to answer as unsigned");
    } catch (const coflow::argument_mismatch&) {
    }
    try {
        (void)rt.get_workflow_handle_for<stopwatch>("car").query(&stopwatch::total);
        expect(false, "a handle for stopwatch refuses an odometer run");
    } catch (const coflow::workflow_type_mismatch&) {
    }
    by_name.signal("drive", meters{4});
    h.signal(&odometer::drive, meters{6});
    ex.run_until_idle();
    expect(h.is_closed() && h.result() == 10, "the odometer counted what it was sent");

    if (failures != 0) return 1;
    std::printf("type ids stay distinct under identical code folding\n");
    return 0;
}
