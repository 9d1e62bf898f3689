// coflow/detail/update_book.hpp: what a run keeps of its updates: their outcomes by update id, and counts.
// The outcome is shared by the run (while the update waits or runs) and the caller's update_handle.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <unordered_map>

#include <coflow/detail/type_id.hpp>
#include <coflow/status.hpp>

namespace coflow::detail {

using coflow::update_stage;

/// One update's outcome as its caller sees it. The derived update_outcome<R> (detail/update_call.hpp) holds the value.
struct update_outcome_base {
    update_outcome_base(std::string workflow, std::string update, std::string uid, type_id r)
        : workflow_id(std::move(workflow)), name(std::move(update)), update_id(std::move(uid)), result(r) {}
    update_outcome_base(const update_outcome_base&) = delete;
    update_outcome_base& operator=(const update_outcome_base&) = delete;
    virtual ~update_outcome_base() = default;

    [[nodiscard]] bool finished() const noexcept { return stage > update_stage::accepted; }

    std::string workflow_id, name, update_id;
    type_id result;
    update_stage stage = update_stage::admitted;
    std::exception_ptr cause;  // what the validator or handler threw
    std::string reason;        // rejected: what the validator said (returned, or the message of what it threw)
};

/// A run's updates (Temporal deduplicates by update id within a run). Shared with the calls the run
/// took, which settle their counts here.
struct update_book {
    std::unordered_map<std::string, std::shared_ptr<update_outcome_base>> by_id;
    std::size_t in_flight = 0;  // taken and not finished
    std::size_t total = 0;      // taken and not rejected
    std::size_t queued = 0;     // taken and not yet delivered (waiting in the run's inbox)
    std::uint64_t made_ids = 0;

    /// The run took the update `o` (it waits to be delivered).
    void take(std::shared_ptr<update_outcome_base> o) {
        std::string id = o->update_id;
        by_id.emplace(std::move(id), std::move(o));
        ++in_flight;
        ++total;
        ++queued;
    }

    /// Delivered and past its validator: the update runs.
    void accept(update_outcome_base& o) noexcept {
        if (o.stage == update_stage::admitted) --queued;
        o.stage = update_stage::accepted;
    }

    /// Continue-as-new: this book goes to the new run with the updates still queued, which move with the
    /// inbox (the calls keep pointing here). The rest stays behind: update ids are per run, as in Temporal.
    void carry_over() {
        std::erase_if(by_id, [](const auto& e) { return e.second->stage != update_stage::admitted; });
        in_flight = total = queued;
    }

    /// The update left the run's hands (finished, rejected or dropped).
    void settle(update_outcome_base& o, update_stage how) {
        const bool was_open = !o.finished();
        if (o.stage == update_stage::admitted) --queued;
        o.stage = how;
        if (!was_open) return;
        --in_flight;
        if (how == update_stage::rejected) {
            --total;
            by_id.erase(o.update_id);  // not accepted: the id may be used again
        }
    }
};

}  // namespace coflow::detail
