// expect: a query handler must be a const member function returning a value (queries are read-only and cannot suspend)
// A query must not change the workflow: a non-const member function cannot be registered as one.
#include <coflow/coflow.hpp>

class counter {
public:
    coflow::workflow<int> run() { co_return value_; }
    int value() { return value_; }  // misuse: not const

    static constexpr auto definition =
        coflow::define<counter>("counter").run(&counter::run).query("value", &counter::value);

private:
    int value_ = 0;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run);
    ex.run_until_idle();
    return h.result();
}
