// expect: a dynamic signal handler takes (std::string name, coflow::raw_args args), by value
// A dynamic signal handler receives the signal's name and its arguments, both owned: a reference to the
// name would dangle once the signal is delivered.
#include <coflow/coflow.hpp>

#include <string>

class inbox {
public:
    coflow::workflow<int> run() { co_return seen_; }
    void any(const std::string& name, coflow::raw_args args) { seen_ += static_cast<int>(name.size() + args.size()); }  // misuse: a reference

    static constexpr auto definition = coflow::define<inbox>("inbox").run(&inbox::run).dynamic_signal(&inbox::any);

private:
    int seen_ = 0;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&inbox::run);
    h.signal("anything", 1);
    ex.run_until_idle();
    return h.result();
}
