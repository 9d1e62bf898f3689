// expect: the run method must be a non-const member function returning coflow::workflow<R>
// A body returns coflow::workflow<R>; a task<R> is a helper awaited from workflow code.
#include <coflow/coflow.hpp>

class wrong_body {
public:
    coflow::task<int> run() { co_return 1; }  // misuse: task, not workflow

    static constexpr auto definition = coflow::define<wrong_body>("wrong_body").run(&wrong_body::run);
};

int main() { return 0; }
