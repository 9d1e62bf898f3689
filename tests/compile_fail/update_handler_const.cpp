// expect: an update handler must be a non-const member function of the workflow type returning a value, void or coflow::task<R>
// An update may change the workflow (a read-only request is a query): a const member function cannot be one.
#include <coflow/coflow.hpp>

class account {
public:
    coflow::workflow<int> run() { co_return balance_; }
    int balance() const { return balance_; }  // misuse: a query named as an update

    static constexpr auto definition =
        coflow::define<account>("account").run(&account::run).update("balance", &account::balance);

private:
    int balance_ = 0;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&account::run);
    ex.run_until_idle();
    return h.result();
}
