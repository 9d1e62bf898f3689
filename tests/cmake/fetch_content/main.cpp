// A program using coflow fetched with FetchContent: includes the umbrella header, links coflow::coflow,
// starts a workflow, signals it, checks its result and that coflow::version is the packaged version.
#include <coflow/coflow.hpp>

#include <cstdio>
#include <string>

class doubler {
public:
    coflow::workflow<int> run(int x) {
        co_await coflow::wait_condition([this] { return go_; });
        co_return 2 * x;
    }
    void go() { go_ = true; }
    static constexpr auto definition = coflow::define<doubler>("doubler").run(&doubler::run).signal("go", &doubler::go);

private:
    bool go_ = false;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&doubler::run, 21, {.id = "doubler-1"});
    h.signal(&doubler::go);
    ex.run_until_idle();
    const std::string version = std::to_string(coflow::version.major) + "." + std::to_string(coflow::version.minor) +
                                "." + std::to_string(coflow::version.patch);
    std::printf("coflow %s (expected %s): doubler-1 is %s, result %d\n", version.c_str(), COFLOW_EXPECTED_VERSION,
                std::string(coflow::to_string(h.status())).c_str(), h.result());
    return h.result() == 42 && version == COFLOW_EXPECTED_VERSION ? 0 : 1;
}
