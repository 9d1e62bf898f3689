// expect: a query handler must be a const member function returning a value (queries are read-only)
// A typed query by member pointer needs a const member function, even one not registered as a query.
#include <coflow/coflow.hpp>

class counter {
public:
    coflow::workflow<int> run() { co_return value_; }
    [[nodiscard]] int value() const { return value_; }
    int bump() { return ++value_; }

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
    return h.query(&counter::bump);  // misuse: bump is not const
}
