// The entity workflow pattern: 100,000 ordered signals from several senders, one child per operation,
// continue-as-new to bound each run, and a balance query that answers at any moment.
#include <coflow/coflow.hpp>

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "coflow_catch.hpp"

namespace {

std::uint64_t fnv(std::uint64_t h, std::uint64_t v) { return (h ^ v) * 0x100000001b3ULL; }

// Applies one operation to a balance: a withdrawal larger than the balance is refused.
class apply_op {
public:
    coflow::workflow<std::int64_t> run(std::int64_t balance, std::int64_t amount) {
        co_return (balance + amount < 0) ? balance : balance + amount;
    }
    static constexpr auto definition = coflow::define<apply_op>("apply_op").run(&apply_op::run);
};

class account {
public:
    coflow::signal_channel<std::int64_t, std::int64_t> ops;  // (sequence number, signed amount)

    coflow::workflow<std::int64_t> run(std::int64_t balance, std::int64_t applied, std::uint64_t hash,
                                       std::int64_t runs, std::int64_t total) {
        balance_ = balance;
        applied_ = applied;
        hash_ = hash;
        runs_ = runs;
        std::int64_t in_this_run = 0;
        while (applied_ < total) {
            if (in_this_run == 2'000 || coflow::info().continue_as_new_suggested)
                co_await coflow::continue_as_new(balance_, applied_, hash_, runs_ + 1, total);
            auto [seq, amount] = co_await ops.receive();
            balance_ = co_await coflow::execute_child_workflow(
                &apply_op::run, balance_, amount, {.id = "op-" + std::to_string(seq), .forget_on_result = true});
            hash_ = fnv(hash_, static_cast<std::uint64_t>(seq));
            ++applied_;
            ++in_this_run;
        }
        co_return balance_;
    }

    // Both signals feed the one ordered queue, so deposits and withdrawals keep their relative order.
    void deposit(std::int64_t seq, std::int64_t amount) { ops.push(seq, amount); }
    void withdraw(std::int64_t seq, std::int64_t amount) { ops.push(seq, -amount); }

    std::tuple<std::int64_t, std::int64_t> balance() const { return {applied_, balance_}; }
    std::uint64_t order_hash() const { return hash_; }
    std::int64_t runs() const { return runs_; }

    static constexpr auto definition = coflow::define<account>("account")
                                           .run(&account::run)
                                           .signal("op", &account::ops)
                                           .signal("deposit", &account::deposit)
                                           .signal("withdraw", &account::withdraw)
                                           .query("balance", &account::balance)
                                           .query("order_hash", &account::order_hash)
                                           .query("runs", &account::runs);

private:
    std::int64_t balance_ = 0;
    std::int64_t applied_ = 0;
    std::uint64_t hash_ = 0;
    std::int64_t runs_ = 0;
};

}  // namespace

TEST_CASE("an entity applies 100,000 signals from several senders strictly in order across continue-as-new",
          "[entity][continue_as_new][limits]") {
    constexpr std::int64_t n = 100'000;
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.max_received_signals_per_run = 3'000}};
    const std::uint64_t seed_hash = 0xcbf29ce484222325ULL;
    auto entity = rt.start_workflow(&account::run, 0, 0, seed_hash, 1, n, {.id = "account-1"});

    // Three senders: a typed handle, a by-name handle, and a typed handle found by id.
    auto typed = entity;
    auto by_name = rt.get_workflow_handle("account-1");
    auto found = rt.get_workflow_handle_for<account>("account-1");

    // The plain sequential computation the entity must reproduce.
    std::vector<std::int64_t> amounts(static_cast<std::size_t>(n));
    std::vector<std::int64_t> prefix(static_cast<std::size_t>(n) + 1, 0);
    std::uint64_t expected_hash = seed_hash;
    coflow::detail::splitmix64 rng(2026);
    for (std::int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::size_t>(i);
        amounts[k] = static_cast<std::int64_t>(rng.uniform(1, 100)) * (rng.uniform(0, 2) == 0 ? -1 : 1);
        prefix[k + 1] = prefix[k] + amounts[k] < 0 ? prefix[k] : prefix[k] + amounts[k];
        expected_hash = fnv(expected_hash, static_cast<std::uint64_t>(i));
    }

    int rejected = 0, queries = 0;
    for (std::int64_t i = 0; i < n;) {
        const auto k = static_cast<std::size_t>(i);
        const std::int64_t amount = amounts[k];
        try {
            switch (rng.uniform(0, 2)) {
                case 0:
                    if (amount >= 0) typed.signal(&account::deposit, i, amount);
                    else typed.signal(&account::withdraw, i, -amount);
                    break;
                case 1: by_name.signal(amount >= 0 ? "deposit" : "withdraw", i, amount >= 0 ? amount : -amount); break;
                default: found.signal(&account::ops, i, amount); break;
            }
            ++i;
        } catch (const coflow::signal_limit_exceeded&) {
            ++rejected;  // the run is full: let it drain and continue as new, then send again
            ex.run_until_idle();
        }
        // Drain now and then in the first half of each block of 10,000; none in the second half, so the
        // senders run into the run's received-signal limit.
        if (i % 10'000 < 5'000 && rng.uniform(0, 999) < 3) ex.run_until_idle();
        if (rng.uniform(0, 99) == 0) {  // a query answers at any moment, consistent with what was applied
            const auto [applied, balance] = entity.query(&account::balance);
            REQUIRE(applied <= i);
            REQUIRE(balance == prefix[static_cast<std::size_t>(applied)]);
            ++queries;
        }
    }
    ex.run_until_idle();

    REQUIRE(entity.status() == coflow::workflow_status::completed);
    CHECK(entity.result() == prefix.back());
    CHECK(entity.query(&account::order_hash) == expected_hash);  // every op once, in order
    CHECK(entity.query(&account::runs) >= n / 2'000);
    CHECK(rejected > 0);  // the received-signal limit really forced continue-as-new
    CHECK(queries > 100);
    CHECK(rt.size() == 1);  // children were forgotten once their results were read
}
