// entity_account.cpp: Temporal's entity workflow pattern in coflow. One long-lived "account" workflow
// takes deposit and withdraw signals from several tellers, applies them strictly one at a time (each
// by a child workflow, awaited before the next starts), continues as new every few hundred operations
// so that no run grows without bound, and answers a "balance" query at any moment.
#include <coflow/coflow.hpp>

#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

struct op {  // one queued operation: '+' deposit, '-' withdrawal
    char kind;
    std::int64_t amount;
};
struct outcome {
    std::int64_t balance;
    bool applied;
};

// The child that decides: a withdrawal larger than the balance is refused. In Temporal this would
// be an activity or a child workflow; either way the parent awaits it before taking the next op.
class apply_op {
public:
    coflow::workflow<outcome> run(std::int64_t balance, op o) {
        if (o.kind == '+') co_return outcome{balance + o.amount, true};
        if (o.amount > balance) co_return outcome{balance, false};
        co_return outcome{balance - o.amount, true};
    }
    static constexpr auto definition = coflow::define<apply_op>("apply_op").run(&apply_op::run);
};

constexpr int ops_per_run = 300;

class account {
public:
    // The run's arguments are everything that must survive continue-as-new: balance and counters.
    coflow::workflow<void> run(std::int64_t balance, std::int64_t applied, std::int64_t refused, int run_no) {
        balance_ = balance, applied_ = applied, refused_ = refused, run_no_ = run_no;
        std::cout << "  [account] run " << run_no << " starts: balance " << balance << ", " << ops_.size()
                  << " op(s) already queued\n";
        // Stop taking work after ops_per_run ops, or earlier if this run nears its received-signal
        // limit (info().continue_as_new_suggested turns true at 80% of it).
        for (int n = 0; n < ops_per_run && !coflow::info().continue_as_new_suggested; ++n) {
            op o = co_await ops_.receive();  // strictly one at a time, in the order signals were accepted
            const std::string id = "apply-" + std::to_string(applied_ + refused_);
            outcome r = co_await coflow::execute_child_workflow(&apply_op::run, balance_, o,
                                                                {.id = id, .forget_on_result = true});
            balance_ = r.balance;
            if (r.applied) ++applied_;
            else ++refused_;
        }
        // Ops still in ops_, and signals accepted but not yet delivered, move to the next run in order.
        // (In Temporal nothing moves: you drain the queue or pass it in continue_as_new's arguments.)
        co_await coflow::continue_as_new(&account::run, balance_, applied_, refused_, run_no_ + 1);
    }

    // Handlers only append: the body is the single writer of balance_. Both signals share one queue,
    // so a deposit and a withdrawal are applied in the order they were sent, whoever sent them.
    void deposit(std::int64_t amount) { ops_.push(op{'+', amount}); }
    void withdraw(std::int64_t amount) { ops_.push(op{'-', amount}); }

    std::int64_t balance() const { return balance_; }
    std::int64_t applied() const { return applied_; }
    std::int64_t refused() const { return refused_; }
    int run_no() const { return run_no_; }

private:
    coflow::signal_channel<op> ops_;
    std::int64_t balance_ = 0, applied_ = 0, refused_ = 0;
    int run_no_ = 0;

public:
    // ops_ is registered as a signal ("op") too: continue-as-new carries over only channels that are
    // signal targets. A std::deque member would be dropped with the old run, ops and all.
    static constexpr auto definition = coflow::define<account>("account")
        .run(&account::run)
        .signal("deposit", &account::deposit)
        .signal("withdraw", &account::withdraw)
        .signal("op", &account::ops_)
        .query("balance", &account::balance)
        .query("applied", &account::applied)
        .query("refused", &account::refused)
        .query("run_no", &account::run_no);
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 600}};  // small, so that the limit matters
    auto teller_1 = rt.start_workflow(&account::run, 0, 0, 0, 1, {.id = "account-42"});  // typed
    auto teller_2 = rt.get_workflow_handle_for<account>("account-42");                    // typed
    auto teller_3 = rt.get_workflow_handle("account-42");                                 // by name

    std::vector<op> sent;  // every accepted op, in acceptance order: the reference computation below
    std::uint32_t seed = 7;
    auto next_op = [&] {  // deterministic: as many deposits as withdrawals, amounts 1..100
        seed = seed * 1103515245u + 12345u;
        return op{(seed >> 16) % 2 == 0 ? '-' : '+', static_cast<std::int64_t>((seed >> 8) % 100) + 1};
    };
    auto send = [&](int teller, op o) {  // throws signal_limit_exceeded; then nothing was taken
        auto handler = o.kind == '+' ? &account::deposit : &account::withdraw;  // typed: the key
        if (teller == 1) teller_1.signal(handler, o.amount);
        else if (teller == 2) teller_2.signal(handler, o.amount);
        else teller_3.signal(o.kind == '+' ? "deposit" : "withdraw", o.amount);  // exactly std::int64_t
        sent.push_back(o);
    };

    // 100 rounds: each teller sends a batch of 10, then the executor runs (the tellers interleave).
    for (int round = 1; round <= 100; ++round) {
        for (int teller = 1; teller <= 3; ++teller)
            for (int i = 0; i < 10; ++i) send(teller, next_op());
        ex.run_until_idle();
        if (round % 25 == 0)
            std::cout << "after round " << round << ": balance " << teller_1.query(&account::balance)
                      << " (by name: " << teller_3.query<std::int64_t>("balance") << ")\n";
    }

    // A burst with no executor in between: the run's received-signal limit stops teller 3.
    int burst = 0;
    for (int i = 0; i < 1000; ++i) {
        op o = next_op();
        try {
            send(3, o);
        } catch (const coflow::signal_limit_exceeded& e) {
            std::cout << "burst: " << burst << " signal(s) accepted, then teller 3 sees:\n  " << e.what() << '\n';
            ex.run_until_idle();  // the account works through its queue and continues as new
            std::cout << "  after running the executor: received " << teller_3.describe().received_signals
                      << " in run " << teller_1.query(&account::run_no) << "; resending\n";
            send(3, o);  // nothing was taken the first time, so nothing is lost or doubled
        }
        ++burst;
    }
    ex.run_until_idle();

    std::int64_t expected = 0;  // the same ops applied sequentially, with no workflow at all
    for (const op& o : sent)
        if (o.kind == '+') expected += o.amount;
        else if (o.amount <= expected) expected -= o.amount;
    const std::int64_t balance = teller_1.query(&account::balance);
    std::cout << "signals sent: " << sent.size() << ", ops applied: " << teller_1.query(&account::applied)
              << ", withdrawals refused: " << teller_1.query(&account::refused) << '\n'
              << "runs: " << teller_1.query(&account::run_no) << " (continued as new "
              << teller_1.query(&account::run_no) - 1 << " times), workflows kept by the runtime: " << rt.size()
              << '\n'
              << "final balance: " << balance << ", sequential computation: " << expected
              << (balance == expected ? " (equal)" : " (DIFFERENT)") << '\n';
}
