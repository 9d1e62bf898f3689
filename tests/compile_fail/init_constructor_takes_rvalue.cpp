// expect: a workflow class's init constructor gets the run arguments as const lvalues
// The run method owns its arguments; the constructor only sees them, so it cannot take a move-only one
// by value (coflow would otherwise pass it over for the default constructor without a word).
#include <coflow/coflow.hpp>

#include <memory>

class takes_ownership {
public:
    takes_ownership() = default;
    explicit takes_ownership(std::unique_ptr<int> p) : p_(std::move(p)) {}  // misuse: by value, move-only
    coflow::workflow<int> run(std::unique_ptr<int> p) { co_return *p; }

    static constexpr auto definition = coflow::define<takes_ownership>("takes_ownership").run(&takes_ownership::run);

private:
    std::unique_ptr<int> p_;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    (void)rt.start_workflow(&takes_ownership::run, std::make_unique<int>(1));
}
