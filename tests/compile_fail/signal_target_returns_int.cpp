// expect: a signal target must be a non-const member function of the workflow type returning void or coflow::task<void>
// A signal handler returns nothing to its sender: void, or task<void> for an async handler.
#include <coflow/coflow.hpp>

class cart {
public:
    coflow::workflow<int> run() { co_return items_; }
    int add(int n) { return items_ += n; }  // misuse: returns int

    static constexpr auto definition = coflow::define<cart>("cart").run(&cart::run).signal("add", &cart::add);

private:
    int items_ = 0;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&cart::run);
    ex.run_until_idle();
    return h.result();
}
