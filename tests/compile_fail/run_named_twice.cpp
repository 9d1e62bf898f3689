// expect: a definition names its run method only once
// A workflow type has exactly one body.
#include <coflow/coflow.hpp>

class twice {
public:
    coflow::workflow<int> run() { co_return 1; }
    coflow::workflow<int> run_again() { co_return 2; }

    static constexpr auto definition =
        coflow::define<twice>("twice").run(&twice::run).run(&twice::run_again);  // misuse: two run methods
};

int main() { return 0; }
