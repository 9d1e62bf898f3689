// tests/nortti/nortti_check.cpp: built with -fno-rtti (games often use it). By-name signals and queries
// check types with coflow's own type ids; this program exercises them and fails loudly if anything is off.
#include <coflow/coflow.hpp>

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

int failures = 0;
void expect(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what);
        ++failures;
    }
}

class counter {
public:
    coflow::signal_channel<std::string, int> named;
    coflow::workflow<int> run(int target) {
        while (total_ < target) {
            auto [name, n] = co_await named.receive();
            total_ += n;
            last_ = name;
        }
        co_return total_;
    }
    void add(int n) { total_ += n; }
    int total() const { return total_; }
    std::string last() const { return last_; }
    static constexpr auto definition = coflow::define<counter>("counter")
                                           .run(&counter::run)
                                           .signal("add", &counter::add)
                                           .signal("named", &counter::named)
                                           .query("total", &counter::total)
                                           .query("last", &counter::last);

private:
    int total_ = 0;
    std::string last_;
};

}  // namespace

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, 10, {.id = "c"});
    auto u = rt.get_workflow_handle("c");
    u.signal("add", 3);
    u.signal("named", "x", 4);
    ex.run_until_idle();
    expect(u.query<int>("total") == 7, "by-name query sees by-name signals");
    expect(u.query<std::string>("last") == "x", "channel of two types by name");
    bool mismatch = false;
    try {
        u.signal("add", 2.5);
    } catch (const coflow::argument_mismatch& e) {
        mismatch = std::string(e.what()).find("expects (int), given (double)") != std::string::npos;
    }
    expect(mismatch, "argument_mismatch names the types without RTTI");
    bool wrong_result = false;
    try {
        (void)u.query<double>("total");
    } catch (const coflow::argument_mismatch&) {
        wrong_result = true;
    }
    expect(wrong_result, "query result type is checked without RTTI");
    h.signal(&counter::named, "y", 3);  // the body waits on the channel
    ex.run_until_idle();
    expect(h.result() == 10, "typed result");
    expect(u.result<int>() == 10, "untyped result with type check");
    // Saved values: codecs and their errors name types without RTTI.
    const std::map<std::string, std::vector<std::optional<double>>> saved{{"a", {1.5, std::nullopt}}};
    expect(coflow::decode<decltype(saved)::value_type::second_type>(coflow::encode(saved.at("a"))) == saved.at("a"),
           "a codec round-trips without RTTI");
    bool named = false;
    try {
        (void)coflow::decode<short>("i70000;");
    } catch (const coflow::invalid_save& e) {
        named = std::string(e.what()).find("out of range for type 'short") != std::string::npos;
    }
    expect(named, "invalid_save names the type without RTTI");
    std::printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
