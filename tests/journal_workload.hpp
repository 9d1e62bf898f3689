// A seeded mixed workload for the journal's tests (journal_test.cpp): ledgers (entity workflows) taking
// typed and by-name signals, timers, children awaited one at a time, continue-as-new, cancels and
// finishes, driven by client calls with the executor's clock moved to absolute times between them.
// Every input carries the index of the operation that sent it, so that a recovered runtime shows how
// far its journal got.
#pragma once

#include <coflow/coflow.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace journal_workload {

using i64 = std::int64_t;
using namespace std::chrono_literals;

class summer {
public:
    coflow::workflow<i64> run(i64 v) {
        co_await coflow::sleep(std::chrono::milliseconds(v % 7));
        co_return v * 3 + 1;
    }
    static constexpr auto definition = coflow::define<summer>("summer").run(&summer::run);
};

class ledger {
public:
    coflow::workflow<i64> run(i64 hash, i64 count) {
        hash_ = hash;
        count_ = count;
        for (;;) {
            co_await coflow::wait_condition([this] { return !todo_.empty() || done_; });
            if (todo_.empty()) co_return hash_;
            const item it = todo_.front();
            todo_.pop_front();
            if (it.kind == 1) co_await coflow::sleep(std::chrono::milliseconds(1 + it.value % 40));
            if (it.kind == 2) {
                const i64 r = co_await coflow::execute_child_workflow(&summer::run, it.value,
                                                                      {.id = "C" + std::to_string(it.value)});
                apply(r);
            } else {
                apply(it.value);
            }
            if (++in_run_ >= 6 && todo_.empty() && !done_) co_return coflow::continue_as_new(&ledger::run, hash_, count_);
        }
    }
    void add(i64 v) { todo_.push_back({0, v}); }
    void wait(i64 v) { todo_.push_back({1, v}); }
    void spawn(i64 v) { todo_.push_back({2, v}); }
    void finish(i64) { done_ = true; }
    [[nodiscard]] i64 hash() const { return hash_; }
    [[nodiscard]] i64 count() const { return count_; }
    [[nodiscard]] std::string log() const { return log_; }

    static constexpr auto definition = coflow::define<ledger>("ledger")
                                           .run(&ledger::run)
                                           .signal("add", &ledger::add)
                                           .signal("wait", &ledger::wait)
                                           .signal("spawn", &ledger::spawn)
                                           .signal("finish", &ledger::finish)
                                           .query("hash", &ledger::hash)
                                           .query("count", &ledger::count)
                                           .query("log", &ledger::log);

private:
    struct item {
        int kind;
        i64 value;
    };
    void apply(i64 v) {
        // The order of handling matters (unsigned: it wraps).
        hash_ = static_cast<i64>(static_cast<std::uint64_t>(hash_) * 1000003u + static_cast<std::uint64_t>(v));
        ++count_;
        log_ += std::to_string(v) + ",";
    }
    std::deque<item> todo_;
    i64 hash_ = 0, count_ = 0;
    int in_run_ = 0;
    bool done_ = false;
    std::string log_;  // this run's handled values (a continued run starts again)
};

/// The driver's own record of progress: the index of each operation it finished, in order.
class tally {
public:
    coflow::workflow<void> run() { co_await coflow::wait_condition([] { return false; }); }
    void done(i64 op) { last_ = op; }
    [[nodiscard]] i64 last() const { return last_; }
    static constexpr auto definition =
        coflow::define<tally>("tally").run(&tally::run).signal("done", &tally::done).query("last", &tally::last);

private:
    i64 last_ = -1;
};

enum class kind { start, add, add_by_name, wait, spawn, advance, cancel, finish, terminate };

struct op {
    kind k;
    int target;  // the ledger: the index of the op that started it
    i64 at_ms;   // advance: the absolute time to move to
};

[[nodiscard]] inline std::uint64_t next(std::uint64_t& s) {
    s += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

[[nodiscard]] inline std::vector<op> make_ops(std::uint64_t seed, int n) {
    std::vector<op> ops;
    std::vector<int> ledgers, ended;
    i64 now = 0;
    for (int k = 0; k < n; ++k) {
        const std::uint64_t r = next(seed) % 100;
        if (ledgers.empty() || r < 8) {
            ops.push_back({kind::start, k, 0});
            ledgers.push_back(k);
            continue;
        }
        const int target = ledgers[next(seed) % ledgers.size()];
        if (r < 40) ops.push_back({kind::add, target, 0});
        else if (r < 55) ops.push_back({kind::add_by_name, target, 0});
        else if (r < 63) ops.push_back({kind::wait, target, 0});
        else if (r < 70) ops.push_back({kind::spawn, target, 0});
        else if (r < 92) ops.push_back({kind::advance, target, now += static_cast<i64>(next(seed) % 30)});
        else if (r < 95) ops.push_back({kind::finish, target, 0});
        else if (std::find(ended.begin(), ended.end(), target) != ended.end()) ops.push_back({kind::add, target, 0});
        else {  // each ledger is cancelled or terminated once at most: the history shows whether it was
            ops.push_back({r < 98 ? kind::cancel : kind::terminate, target, 0});
            ended.push_back(target);
        }
    }
    ops.push_back({kind::advance, 0, now + 10'000});  // everything due fires
    return ops;
}

[[nodiscard]] inline std::string ledger_id(int k) { return "L" + std::to_string(k); }

/// Applies op `k`, then tells the tally it is done. Errors the op meets (a closed ledger) are part of the
/// workload: both runs meet the same ones.
inline void apply(coflow::runtime& rt, coflow::deterministic_executor& ex, const std::vector<op>& ops, int k) {
    const op& o = ops[static_cast<std::size_t>(k)];
    const i64 v = k;
    try {
        switch (o.k) {
            case kind::start: (void)rt.start_workflow(&ledger::run, v, i64{0}, {.id = ledger_id(k)}); break;
            case kind::add: rt.get_workflow_handle_for<ledger>(ledger_id(o.target)).signal(&ledger::add, v); break;
            case kind::add_by_name: rt.get_workflow_handle(ledger_id(o.target)).signal("add", v); break;
            case kind::wait: rt.get_workflow_handle_for<ledger>(ledger_id(o.target)).signal(&ledger::wait, v); break;
            case kind::spawn: rt.get_workflow_handle_for<ledger>(ledger_id(o.target)).signal(&ledger::spawn, v); break;
            case kind::finish: rt.get_workflow_handle_for<ledger>(ledger_id(o.target)).signal(&ledger::finish, v); break;
            case kind::cancel: rt.get_workflow_handle(ledger_id(o.target)).cancel(); break;
            case kind::terminate: rt.get_workflow_handle(ledger_id(o.target)).terminate("op " + std::to_string(k)); break;
            case kind::advance: {
                const auto to = coflow::time_point(std::chrono::milliseconds(o.at_ms));
                if (to > ex.now()) ex.advance(to - ex.now());
                break;
            }
        }
    } catch (const coflow::workflow_closed&) {
    }
    rt.get_workflow_handle_for<tally>("tally").signal(&tally::done, v);
}

inline void start_tally(coflow::runtime& rt) { (void)rt.start_workflow(&tally::run, {.id = "tally"}); }

/// The last op the tally took (accepted: the executor may not have run it yet), or -1.
[[nodiscard]] inline int progress(coflow::runtime& rt) {
    const coflow::detail::instance_base* in = rt.engine_internals().find("tally");
    int last = -1;
    if (in && in->hist)
        for (const coflow::history_event& e : in->hist->events)
            if (e.kind == coflow::event_kind::signal_accepted && e.args.size() == 1) last = std::stoi(e.args[0]);
    return last;
}

/// Whether op `k`, the one after the tally's last, reached the runtime before a crash (it is in the
/// current run of its target, whose run no activation replaced since: the tally's signal follows at once).
[[nodiscard]] inline bool reached(coflow::runtime& rt, const std::vector<op>& ops, int k) {
    const op& o = ops[static_cast<std::size_t>(k)];
    if (o.k == kind::advance) return false;  // moving to an absolute time again changes nothing
    if (o.k == kind::start) return rt.engine_internals().find(ledger_id(k)) != nullptr;
    const coflow::detail::instance_base* in = rt.engine_internals().find(ledger_id(o.target));
    if (!in || !in->hist) return false;
    for (const coflow::history_event& e : in->hist->events) {
        if (o.k == kind::cancel && e.kind == coflow::event_kind::cancel_requested) return true;
        if (o.k == kind::terminate && e.kind == coflow::event_kind::workflow_terminated) return true;
        if (e.kind == coflow::event_kind::signal_accepted && e.args.size() == 1 && e.args[0] == std::to_string(k))
            return true;
    }
    return false;
}

/// What a run of the workload ends with: each ledger's status, answers and result, and the tally.
[[nodiscard]] inline std::string outcome(coflow::runtime& rt, const std::vector<op>& ops) {
    std::string out;
    for (std::size_t k = 0; k < ops.size(); ++k) {
        if (ops[k].k != kind::start) continue;
        auto h = rt.get_workflow_handle_for<ledger>(ledger_id(static_cast<int>(k)));
        out += ledger_id(static_cast<int>(k)) + " " + std::string(coflow::to_string(h.status())) + " hash " +
               std::to_string(h.query(&ledger::hash)) + " count " + std::to_string(h.query(&ledger::count)) +
               " log " + h.query(&ledger::log);
        if (h.status() == coflow::workflow_status::completed) out += " result " + std::to_string(h.result());
        out += "\n";
    }
    out += "tally " + std::to_string(rt.get_workflow_handle_for<tally>("tally").query(&tally::last)) + "\n";
    return out;
}

}  // namespace journal_workload
