// safe_message_handlers.cpp: Temporal's safe-message-handlers sample (samples-python's safe_message_handlers),
// a cluster manager whose async signal handlers assign nodes to jobs and free them again. Each handler awaits a
// slow step (an allocation, simulated with a sleep) between reading which nodes are free and marking them
// taken, so two handlers running at once could book the same node. A coflow::mutex around the step lets one
// handler at a time in, in the order the signals came. The same workflow run without the lock shows the
// double bookings it prevents. Times are milliseconds on the executor's virtual clock.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

using namespace std::chrono_literals;

long long ms(coflow::time_point t) {
    return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

class cluster_manager {
public:
    // Like the sample's @workflow.init: the lock choice is known before any handler runs.
    explicit cluster_manager(bool use_lock) : use_lock_(use_lock) {}

    // @workflow.run: waits for start, then for shutdown and for the handlers still at work.
    coflow::workflow<std::string> run(bool) {
        co_await coflow::wait_condition([this] { return started_; });
        co_await coflow::wait_condition([this] { return shutting_down_ && coflow::all_handlers_finished(); });
        co_return std::to_string(nodes_in_use()) + " nodes in use at shutdown, " + std::to_string(double_booked_) +
            " double bookings";
    }

    void start_cluster() {
        for (int i = 0; i < 10; ++i) nodes_[node_name(i)] = "";
        started_ = true;
        std::printf("  %5lldms  cluster started with %zu nodes\n", ms(coflow::now()), nodes_.size());
    }

    void shutdown_cluster() { shutting_down_ = true; }

    // An async handler: finds `count` free nodes, allocates them (a slow step), then books them for `job`.
    coflow::task<void> assign_nodes(std::size_t count, std::string job) {
        co_await coflow::wait_condition([this] { return started_; });
        coflow::mutex_guard guard;
        if (use_lock_) guard = co_await nodes_lock_.lock();
        std::vector<std::string> picked;
        for (const auto& [node, owner] : nodes_)
            if (owner.empty() && picked.size() < count) picked.push_back(node);
        if (picked.size() < count) {
            std::printf("  %5lldms  %s: needs %zu nodes, %zu free: refused\n", ms(coflow::now()), job.c_str(), count,
                        picked.size());
            co_return;
        }
        co_await coflow::sleep(100ms);  // the sample's allocation activity
        for (const auto& node : picked) {
            if (!nodes_[node].empty()) ++double_booked_;
            nodes_[node] = job;
        }
        const std::string range = picked.size() == 1 ? picked.front() : picked.front() + ".." + picked.back();
        std::printf("  %5lldms  %s: got %s\n", ms(coflow::now()), job.c_str(), range.c_str());
    }

    // An async handler: frees the nodes of `job` after a slow step of its own.
    coflow::task<void> delete_job(std::string job) {
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
    }

    // @workflow.query get_status.
    std::string get_status() const {
        std::string s = std::to_string(nodes_in_use()) + "/" + std::to_string(nodes_.size()) + " nodes in use:";
        for (const auto& [node, owner] : nodes_) s += " " + (owner.empty() ? std::string("-") : owner);
        return s;
    }

    static constexpr auto definition = coflow::define<cluster_manager>("cluster_manager")
                                           .run(&cluster_manager::run)
                                           .signal("start_cluster", &cluster_manager::start_cluster)
                                           .signal("shutdown_cluster", &cluster_manager::shutdown_cluster)
                                           .signal("assign_nodes", &cluster_manager::assign_nodes)
                                           .signal("delete_job", &cluster_manager::delete_job)
                                           .query("get_status", &cluster_manager::get_status);

private:
    static std::string node_name(int i) { return (i < 10 ? "n0" : "n") + std::to_string(i); }

    std::size_t nodes_in_use() const {
        std::size_t n = 0;
        for (const auto& [node, owner] : nodes_) n += owner.empty() ? 0 : 1;
        return n;
    }

    coflow::mutex nodes_lock_{"nodes"};  // before anything that could hold a guard
    std::map<std::string, std::string> nodes_;  // node -> the job it is booked for ("" when free)
    bool use_lock_;
    bool started_ = false;
    bool shutting_down_ = false;
    int double_booked_ = 0;
};

int main() {
    for (const bool use_lock : {true, false}) {
        coflow::deterministic_executor ex;
        coflow::runtime rt{ex};
        std::printf("%s\n", use_lock ? "with the lock:" : "without the lock:");
        auto h = rt.start_workflow(&cluster_manager::run, use_lock, {.id = "cluster"});
        h.signal(&cluster_manager::start_cluster);
        for (std::size_t i = 0; i < 4; ++i)
            h.signal(&cluster_manager::assign_nodes, i + 1, "job" + std::to_string(i + 1));
        ex.advance(50ms);
        if (use_lock) {
            std::printf("  waiting:");
            for (const auto& w : h.describe().waiting_on) std::printf(" [%s]", w.c_str());
            std::printf("\n");
        }
        ex.advance(1s);
        std::printf("  status: %s\n", h.query(&cluster_manager::get_status).c_str());

        h.signal(&cluster_manager::delete_job, std::string("job2"));
        h.signal(&cluster_manager::assign_nodes, std::size_t{5}, std::string("job5"));
        h.signal(&cluster_manager::assign_nodes, std::size_t{2}, std::string("job6"));
        h.signal(&cluster_manager::shutdown_cluster);
        ex.run_until_idle();
        std::printf("  status: %s\n", h.query(&cluster_manager::get_status).c_str());
        std::printf("  result: %s\n", h.result().c_str());
    }
}
