// A runtime belongs to one thread: calls into it from another thread, made without the executor's hand-off,
// raise wrong_thread in builds without NDEBUG instead of racing on its state.
#include <coflow/coflow.hpp>

#include <exception>
#include <string>
#include <thread>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

namespace {

#ifdef NDEBUG
constexpr bool thread_checks = false;
#else
constexpr bool thread_checks = true;
#endif

class counter {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return done_; });
        co_return count_;
    }
    void add(int n) { count_ += n; }
    void finish() { done_ = true; }
    int count() const { return count_; }
    static constexpr auto definition = coflow::define<counter>("counter")
                                           .run(&counter::run)
                                           .signal("add", &counter::add)
                                           .signal("finish", &counter::finish)
                                           .query("count", &counter::count);

private:
    int count_ = 0;
    bool done_ = false;
};

// Runs `f` on a thread of its own and returns the message of the wrong_thread it raised, or what happened instead.
template <class F>
std::string on_other_thread(F f) {
    std::string what = "no error";
    std::thread t([&] {
        try {
            f();
        } catch (const coflow::wrong_thread& e) {
            what = e.what();
        } catch (const std::exception& e) {
            what = std::string("another error: ") + e.what();
        }
    });
    t.join();
    return what;
}

bool names_wrong_thread(const std::string& what) { return what.rfind("[coflow.wrong_thread]", 0) == 0; }

}  // namespace

TEST_CASE("issue 18: a handle used from a thread that does not own its runtime raises wrong_thread",
          "[runtime][handle][regression]") {
    if (!thread_checks) return;  // release builds do not check
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    ex.run_until_idle();

    const std::string signal = on_other_thread([&] { h.signal(&counter::add, 1); });
    CHECK(names_wrong_thread(signal));
    CHECK(signal.find("workflow 'c'") != std::string::npos);
    CHECK(names_wrong_thread(on_other_thread([&] { h.signal("add", 1); })));
    CHECK(names_wrong_thread(on_other_thread([&] { (void)h.query(&counter::count); })));
    CHECK(names_wrong_thread(on_other_thread([&] { (void)h.describe(); })));
    CHECK(names_wrong_thread(on_other_thread([&] { (void)h.is_closed(); })));
    CHECK(names_wrong_thread(on_other_thread([&] { h.cancel(); })));
    CHECK(names_wrong_thread(on_other_thread([&] { h.terminate(); })));
    auto by_id = rt.get_workflow_handle("c");
    CHECK(names_wrong_thread(on_other_thread([&] { by_id.signal("add", 1); })));

    // Nothing was taken: the owner finds the run as it was.
    CHECK(h.describe().pending_signals == 0);
    CHECK_FALSE(h.describe().cancel_requested);
    h.signal(&counter::add, 2);
    h.signal(&counter::finish);
    ex.run_until_idle();
    CHECK(h.result() == 2);
}

TEST_CASE("issue 18: starting or forgetting a workflow from a thread that does not own the runtime raises wrong_thread",
          "[runtime][regression]") {
    if (!thread_checks) return;
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    const std::string start = on_other_thread([&] { (void)rt.start_workflow(&counter::run, {.id = "c"}); });
    CHECK(names_wrong_thread(start));
    CHECK(start.find("runtime::start_workflow") != std::string::npos);
    CHECK(rt.size() == 0);
    CHECK(names_wrong_thread(on_other_thread([&] { (void)rt.forget("c"); })));
}

TEST_CASE("issue 18: an executor that runs a runtime's work on a thread that does not own the runtime raises wrong_thread",
          "[runtime][regression]") {
    if (!thread_checks) return;
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    const std::string what = on_other_thread([&] { ex.run_until_idle(); });
    CHECK(names_wrong_thread(what));
    CHECK(what.find("bind_to_current_thread") != std::string::npos);
}

TEST_CASE("issue 18: bind_to_current_thread hands a runtime to the calling thread", "[runtime][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&counter::run, {.id = "c"});
    const std::string what = on_other_thread([&] {
        rt.bind_to_current_thread();
        ex.run_until_idle();
        h.signal(&counter::add, 5);
        h.signal(&counter::finish);
        ex.run_until_idle();
    });
    CHECK(what == "no error");
    if (thread_checks) {  // the runtime is the other thread's now, even though that thread ended
        std::string here = "no error";
        try {
            (void)h.status();
        } catch (const coflow::wrong_thread& e) {
            here = e.what();
        }
        CHECK(names_wrong_thread(here));
    }
    rt.bind_to_current_thread();  // back to this thread
    CHECK(h.result() == 5);
}
