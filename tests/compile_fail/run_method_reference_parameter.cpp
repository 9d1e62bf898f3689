// expect: workflow run parameters must be taken by value: the body outlives the call that starts it
// The body runs long after start_workflow returned, so a reference parameter would dangle.
#include <string>

#include <coflow/coflow.hpp>

class greeter {
public:
    coflow::workflow<std::string> run(const std::string& name) { co_return "hello " + name; }  // misuse

    static constexpr auto definition = coflow::define<greeter>("greeter").run(&greeter::run);
};

int main() { return 0; }
