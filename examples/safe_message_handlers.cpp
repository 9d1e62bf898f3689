// safe_message_handlers.cpp: Temporal's safe-message-handlers sample (samples-python's safe_message_handlers),
// a cluster manager whose async update handlers assign nodes to jobs and free them again, and answer their
// callers. Each handler awaits a slow step (an allocation, simulated with a sleep) between reading which nodes
// are free and marking them taken, so two handlers running at once could book the same node. A coflow::mutex
// around the step lets one handler at a time in, in the order the updates came. The same workflow run without
// the lock shows the double bookings it prevents. Validators turn away what is wrong on its face before it is
// accepted, and the run continues as new when coflow::info() suggests it, its bookings going along as run
// arguments. Times are milliseconds on the executor's virtual clock.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

long long ms(coflow::time_point t) {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

using bookings = std::map<std::string, std::string>;  // node -> the job it is booked for ("" when free)

constexpr std::size_t cluster_size = 10;

class cluster_manager {
public:
    // Like the sample's @workflow.init: the state comes from the run's arguments, so that a run that
    // continued as new starts where the last one stopped (before any handler runs).
    cluster_manager(bool use_lock, const bookings& nodes, int double_booked)
        : nodes_(nodes), use_lock_(use_lock), started_(!nodes.empty()), double_booked_(double_booked) {}

    // @workflow.run: waits for start, then for shutdown, or continues as new when it is suggested once the
    // handlers still at work are done.
    coflow::workflow<std::string> run(bool, bookings, int) {
        co_await coflow::wait_condition([this] { return started_; });
        co_await coflow::wait_condition(
            [this] { return shutting_down_ || coflow::info().continue_as_new_suggested; });
        co_await coflow::wait_condition(coflow::all_handlers_finished);
        if (!shutting_down_) {
            std::printf("  %5lldms  continuing as new after %zu updates\n", ms(coflow::now()),
                        coflow::info().received_updates);
            co_return coflow::continue_as_new(&cluster_manager::run, use_lock_, nodes_, double_booked_);
        }
        co_return std::to_string(nodes_in_use()) + " nodes in use at shutdown, " + std::to_string(double_booked_) +
            " double bookings";
    }

    void start_cluster() {
        for (std::size_t i = 0; i < cluster_size; ++i) nodes_[node_name(i)] = "";
        started_ = true;
        std::printf("  %5lldms  cluster started with %zu nodes\n", ms(coflow::now()), nodes_.size());
    }

    void shutdown_cluster() { shutting_down_ = true; }

    // An async update: finds `count` free nodes, allocates them (a slow step), then books them for `job` and
    // answers with the nodes it booked. Too few free nodes fails the update (its caller gets update_failed).
    coflow::task<std::string> assign_nodes(std::size_t count, std::string job) {
        co_await coflow::wait_condition([this] { return started_; });
        coflow::mutex_guard guard;
        if (use_lock_) guard = co_await nodes_lock_.lock();
        std::vector<std::string> picked;
        for (const auto& [node, owner] : nodes_)
            if (owner.empty() && picked.size() < count) picked.push_back(node);
        if (picked.size() < count) {
            std::printf("  %5lldms  %s: needs %zu nodes, %zu free: refused\n", ms(coflow::now()), job.c_str(), count,
                        picked.size());
            throw std::runtime_error(job + " needs " + std::to_string(count) + " nodes, " +
                                     std::to_string(picked.size()) + " free");
        }
        co_await coflow::sleep(100ms);  // the sample's allocation activity
        for (const auto& node : picked) {
            if (!nodes_[node].empty()) ++double_booked_;
            nodes_[node] = job;
        }
        const std::string range = picked.size() == 1 ? picked.front() : picked.front() + ".." + picked.back();
        std::printf("  %5lldms  %s: got %s\n", ms(coflow::now()), job.c_str(), range.c_str());
        co_return range;
    }

    // Its validator: what is wrong whatever the bookings is turned away before it is accepted (a rejected
    // update is not recorded and does not count against the run's update limit).
    coflow::validation check_assign(std::size_t count, std::string job) const {
        if (shutting_down_) return coflow::reject("the cluster is shutting down");
        if (count == 0 || count > cluster_size)
            return coflow::reject(job + " asks for " + std::to_string(count) + " nodes, the cluster has " +
                                  std::to_string(cluster_size));
        return coflow::accept();
    }

    // An async update: frees the nodes of `job` after a slow step of its own; answers how many it freed.
    coflow::task<std::size_t> delete_job(std::string job) {
        coflow::mutex_guard guard;
        if (use_lock_) guard = co_await nodes_lock_.lock();
        co_await coflow::sleep(100ms);  // the sample's deallocation activity
        std::size_t freed = 0;
        for (auto& [node, owner] : nodes_)
            if (owner == job) {
                owner.clear();
                ++freed;
            }
        std::printf("  %5lldms  %s: deleted, %zu nodes freed\n", ms(coflow::now()), job.c_str(), freed);
        co_return freed;
    }

    coflow::validation check_delete(std::string) const {
        if (shutting_down_) return coflow::reject("the cluster is shutting down");
        return coflow::accept();
    }

    // @workflow.query get_status.
    std::string get_status() const {
        std::string s = std::to_string(nodes_in_use()) + "/" + std::to_string(nodes_.size()) + " nodes in use:";
        for (const auto& [node, owner] : nodes_) s += " " + (owner.empty() ? std::string("-") : owner);
        return s;
    }

    static constexpr auto definition =
        coflow::define<cluster_manager>("cluster_manager")
            .run(&cluster_manager::run)
            .signal("start_cluster", &cluster_manager::start_cluster)
            .signal("shutdown_cluster", &cluster_manager::shutdown_cluster)
            .update("assign_nodes", &cluster_manager::assign_nodes, &cluster_manager::check_assign)
            .update("delete_job", &cluster_manager::delete_job, &cluster_manager::check_delete)
            .query("get_status", &cluster_manager::get_status);

private:
    static std::string node_name(std::size_t i) { return (i < 10 ? "n0" : "n") + std::to_string(i); }

    std::size_t nodes_in_use() const {
        std::size_t n = 0;
        for (const auto& [node, owner] : nodes_) n += owner.empty() ? 0u : 1u;
        return n;
    }

    coflow::mutex nodes_lock_{"nodes"};  // before anything that could hold a guard
    bookings nodes_;
    bool use_lock_;
    bool started_;
    bool shutting_down_ = false;
    int double_booked_;
};

// What an assign_nodes caller was told: the nodes it got, or why not.
std::string answer(const coflow::update_handle<std::string>& u) {
    if (u.stage() == coflow::update_stage::rejected) return "rejected: " + u.rejection_reason();
    try {
        return u.result();
    } catch (const coflow::update_failed& e) {
        try {
            std::rethrow_exception(e.cause());  // what the handler threw
        } catch (const std::exception& cause) {
            return std::string("failed: ") + cause.what();
        }
    }
}

int main() {
    for (const bool use_lock : {true, false}) {
        coflow::deterministic_executor ex;
        // A small update limit, so that this short run is suggested to continue as new (at 90% of it).
        coflow::runtime rt{ex, {.max_updates_per_run = 4}};
        std::printf("%s\n", use_lock ? "with the lock:" : "without the lock:");
        auto h = rt.start_workflow(&cluster_manager::run, use_lock, bookings{}, 0, {.id = "cluster"});
        h.signal(&cluster_manager::start_cluster);
        std::vector<coflow::update_handle<std::string>> assigned;
        for (std::size_t i = 0; i < 4; ++i)
            assigned.push_back(h.start_update(&cluster_manager::assign_nodes, i + 1, "job" + std::to_string(i + 1)));
        ex.advance(50ms);
        if (use_lock) {
            std::printf("  waiting:");
            for (const auto& w : h.describe().waiting_on) std::printf(" [%s]", w.c_str());
            std::printf("\n");
        }
        ex.advance(1s);
        std::printf("  status: %s\n", h.query(&cluster_manager::get_status).c_str());

        // Sent to the id: the run that continued as new takes them.
        auto deleted = h.start_update(&cluster_manager::delete_job, std::string("job2"));
        assigned.push_back(h.start_update(&cluster_manager::assign_nodes, std::size_t{5}, std::string("job5")));
        assigned.push_back(h.start_update(&cluster_manager::assign_nodes, std::size_t{2}, std::string("job6")));
        assigned.push_back(h.start_update(&cluster_manager::assign_nodes, std::size_t{12}, std::string("job7")));
        h.signal(&cluster_manager::shutdown_cluster);
        ex.run_until_idle();
        std::printf("  status: %s\n", h.query(&cluster_manager::get_status).c_str());
        std::printf("  answers:");
        for (const auto& u : assigned) std::printf(" [%s]", answer(u).c_str());
        std::printf(" [job2 deleted: %zu freed]\n", deleted.result());
        std::printf("  result: %s\n", h.result().c_str());
    }
}
