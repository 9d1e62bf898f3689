// expect: a query handler must be a member of the workflow type given to define<T>
// A definition's queries are members of the workflow class it defines, not of another class.
#include <coflow/coflow.hpp>

class stats {
public:
    [[nodiscard]] int count() const { return 3; }
};

class counter {
public:
    coflow::workflow<int> run() { co_return 0; }

    static constexpr auto definition =
        coflow::define<counter>("counter").run(&counter::run).query("count", &stats::count);  // misuse
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run);
    ex.run_until_idle();
    return h.result();
}
