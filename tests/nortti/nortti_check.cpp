// tests/nortti/nortti_check.cpp: built with -fno-rtti (games often use it). By-name signals and queries
// check types with coflow's own type ids; this program exercises them and fails loudly if anything is off.
#include <coflow/coflow.hpp>

#include <cstdio>
#include <string>

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
    std::printf("%d failed\n", failures);
    return failures == 0 ? 0 : 1;
}
