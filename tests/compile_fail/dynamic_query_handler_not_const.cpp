// expect: a dynamic query handler is a const member function of the workflow type returning a value (queries are read-only and cannot suspend)
// A dynamic query must not change the workflow, as a named one: a non-const member function cannot be one.
#include <coflow/coflow.hpp>

#include <string>
#include <string_view>

class oracle {
public:
    coflow::workflow<int> run() { co_return asked_; }
    std::string ask(std::string_view name, const coflow::raw_args&) { ++asked_; return std::string(name); }  // misuse: not const

    static constexpr auto definition = coflow::define<oracle>("oracle").run(&oracle::run).dynamic_query(&oracle::ask);

private:
    int asked_ = 0;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&oracle::run);
    ex.run_until_idle();
    return static_cast<int>(h.query<std::string>("anything").size());
}
