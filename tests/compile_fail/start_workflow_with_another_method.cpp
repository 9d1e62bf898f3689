// expect: start_workflow takes the run method named in the workflow class's definition
// A workflow starts at the body its definition names, not at another coroutine of the class.
#include <coflow/coflow.hpp>

class two_bodies {
public:
    coflow::workflow<int> run() { co_return 1; }
    coflow::workflow<int> other(int x) { co_return x; }

    static constexpr auto definition = coflow::define<two_bodies>("two_bodies").run(&two_bodies::run);
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&two_bodies::other, 5);  // misuse: not the run method
    ex.run_until_idle();
    return h.result();
}
