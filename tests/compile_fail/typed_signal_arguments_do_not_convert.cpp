// expect: the signal's arguments do not convert to the handler's parameter types
// A typed signal is checked at compile time: its arguments must convert to the handler's parameters.
#include <string>

#include <coflow/coflow.hpp>

class greeter {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return !name_.empty(); });
        co_return 0;
    }
    void set_name(std::string name) { name_ = std::move(name); }

    static constexpr auto definition =
        coflow::define<greeter>("greeter").run(&greeter::run).signal("set_name", &greeter::set_name);

private:
    std::string name_;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&greeter::run);
    h.signal(&greeter::set_name, 42);  // misuse: an int is not a std::string
    ex.run_until_idle();
    return h.result();
}
