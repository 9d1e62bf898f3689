// expect: a workflow class must be default-constructible, or have a constructor taking its run method's arguments
// coflow builds the object when the run starts: with the run's arguments if a constructor takes them,
// else with its default constructor. This one has neither (its constructor takes something else).
#include <coflow/coflow.hpp>

#include <string>

class no_way_to_build {
public:
    explicit no_way_to_build(double rate) : rate_(rate) {}  // misuse: the run takes a std::string
    coflow::workflow<int> run(std::string name) { co_return static_cast<int>(name.size() * rate_); }

    static constexpr auto definition = coflow::define<no_way_to_build>("no_way_to_build").run(&no_way_to_build::run);

private:
    double rate_;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    (void)rt.start_workflow(&no_way_to_build::run, "x");
}
