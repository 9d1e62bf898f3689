// expect: run(...) takes a pointer to the member function that is the workflow body
// run() names a member function, not a data member.
#include <coflow/coflow.hpp>

class holder {
public:
    coflow::workflow<int> run() { co_return value; }
    int value = 0;

    static constexpr auto definition = coflow::define<holder>("holder").run(&holder::value);  // misuse
};

int main() { return 0; }
