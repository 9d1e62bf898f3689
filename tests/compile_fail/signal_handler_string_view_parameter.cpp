// expect: signal parameters (and channel values) must own their text
// A signal is delivered after its sender returned: a view would point into a string that may be gone.
#include <coflow/coflow.hpp>

#include <string>
#include <string_view>

class greeter {
public:
    coflow::workflow<std::string> run() {
        co_await coflow::wait_condition([this] { return !name_.empty(); });
        co_return "hello " + name_;
    }
    void name(std::string_view n) { name_ = std::string(n); }  // misuse: a view of the sender's text

    static constexpr auto definition = coflow::define<greeter>("greeter").run(&greeter::run).signal("name", &greeter::name);

private:
    std::string name_;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&greeter::run);
    h.signal(&greeter::name, std::string("world"));
    ex.run_until_idle();
    return h.result().empty() ? 1 : 0;
}
