// expect: is a temporary that g++ 12 destroys twice inside a co_await expression
// g++ 12 destroys twice what a lambda made inside a co_await expression captured by copy (here a
// std::string). coflow refuses to await wait_condition given such a temporary.
#include <coflow/coflow.hpp>

#include <string>

class listener {
public:
    coflow::workflow<void> run(std::string word) {
        co_await coflow::wait_condition([this, word] { return heard_ == word; });  // misuse: captures by copy
    }
    void hear(std::string w) { heard_ = std::move(w); }

    static constexpr auto definition =
        coflow::define<listener>("listener").run(&listener::run).signal("hear", &listener::hear);

private:
    std::string heard_;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    (void)rt.start_workflow(&listener::run, "hi");
}
