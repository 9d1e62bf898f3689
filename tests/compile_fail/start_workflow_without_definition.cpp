// expect: a workflow class needs `static constexpr auto definition =
// start_workflow needs the class's definition to know its name, signals and queries.
#include <coflow/coflow.hpp>

class plain {
public:
    coflow::workflow<int> run() { co_return 1; }
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&plain::run);  // misuse: plain has no definition
    ex.run_until_idle();
    return h.is_closed() ? 0 : 1;
}
