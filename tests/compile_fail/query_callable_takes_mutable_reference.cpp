// expect: a query callable takes the workflow object as `const T&` (queries are read-only)
// An ad-hoc query reads the workflow object: it must not get a mutable reference to it.
#include <coflow/coflow.hpp>

class counter {
public:
    coflow::workflow<int> run() { co_return value; }
    int value = 0;

    static constexpr auto definition = coflow::define<counter>("counter").run(&counter::run);
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run);
    ex.run_until_idle();
    return h.query([](counter& c) { return ++c.value; });  // misuse: counter&, not const counter&
}
