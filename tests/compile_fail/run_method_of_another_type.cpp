// expect: the run method must be a member of the workflow type given to define<T>
// The body belongs to the class whose definition names it.
#include <coflow/coflow.hpp>

class other {
public:
    coflow::workflow<int> run() { co_return 1; }
};

class mine {
public:
    coflow::workflow<int> run() { co_return 2; }

    static constexpr auto definition = coflow::define<mine>("mine").run(&other::run);  // misuse
};

int main() { return 0; }
