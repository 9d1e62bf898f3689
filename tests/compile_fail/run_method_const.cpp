// expect: the run method must be a non-const member function returning coflow::workflow<R>
// The body changes the workflow object's state, so it cannot be const.
#include <coflow/coflow.hpp>

class const_body {
public:
    coflow::workflow<int> run() const { co_return 1; }  // misuse: const

    static constexpr auto definition = coflow::define<const_body>("const_body").run(&const_body::run);
};

int main() { return 0; }
