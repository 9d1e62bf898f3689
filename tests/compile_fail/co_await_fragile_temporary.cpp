// expect: is a temporary that g++ 12 destroys twice inside a co_await expression
// g++ 12 destroys an aggregate temporary with a non-trivial destructor twice when it is made inside a
// co_await expression (a double free for the std::string here). coflow refuses to await the call.
#include <coflow/coflow.hpp>

#include <string>

struct input {
    std::string state;
    bool flag = false;
};

class keeper {
public:
    coflow::workflow<void> run(input in) {
        co_await coflow::continue_as_new(&keeper::run, input{in.state + "!", !in.flag});  // misuse: made in place
    }

    static constexpr auto definition = coflow::define<keeper>("keeper").run(&keeper::run);
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    (void)rt.start_workflow(&keeper::run, input{});
}
