// expect: an update validator must be a const member function of the workflow type taking the update's parameters and returning void (it rejects by throwing) or coflow::validation (coflow::accept() or coflow::reject(reason))
// A validator runs before the update is accepted, read-only like a query: a non-const one could change the workflow.
#include <coflow/coflow.hpp>

class account {
public:
    coflow::workflow<int> run() { co_return balance_; }
    int deposit(int amount) { return balance_ += amount; }
    void check(int amount) {  // misuse: not const
        if (amount <= 0) balance_ = 0;
    }

    static constexpr auto definition =
        coflow::define<account>("account").run(&account::run).update("deposit", &account::deposit, &account::check);

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
