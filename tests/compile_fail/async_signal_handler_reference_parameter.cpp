// expect: an async signal handler (returning task<void>) must take its parameters by value
// An async handler outlives the delivery that started it, so a reference parameter would dangle.
#include <string>

#include <coflow/coflow.hpp>

class mailbox {
public:
    coflow::workflow<int> run() { co_return 0; }
    coflow::task<void> receive(const std::string& text) {  // misuse: by reference
        last_ = text;
        co_return;
    }

    static constexpr auto definition =
        coflow::define<mailbox>("mailbox").run(&mailbox::run).signal("receive", &mailbox::receive);

private:
    std::string last_;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&mailbox::run);
    ex.run_until_idle();
    return h.result();
}
