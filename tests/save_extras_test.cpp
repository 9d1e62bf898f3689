// Durable runs (save.hpp), found while fuzzing and benchmarking the load path: what a save must carry to
// load elsewhere than where it was made.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "coflow_catch.hpp"

using namespace std::chrono_literals;

namespace {

using i64 = std::int64_t;

class diary {
public:
    coflow::workflow<i64> run(i64 start, std::string owner) {
        total_ = start;
        owner_ = std::move(owner);
        co_await coflow::wait_condition([this] { return done_; });
        co_return total_;
    }
    void note(std::optional<std::string> s) { log_ += s.value_or("-") + ";"; }
    void wait(std::chrono::milliseconds d) { total_ += d.count(); }
    void finish() { done_ = true; }
    [[nodiscard]] std::string log() const { return owner_ + ":" + log_; }
    [[nodiscard]] i64 total() const { return total_; }

private:
    i64 total_ = 0;
    bool done_ = false;
    std::string owner_, log_;

public:
    static constexpr auto definition = coflow::define<diary>("diary")
                                           .run(&diary::run)
                                           .signal("note", &diary::note)
                                           .signal("wait", &diary::wait)
                                           .signal("finish", &diary::finish)
                                           .query("log", &diary::log)
                                           .query("total", &diary::total);
};

}  // namespace

// g++ and clang++ spell the same types differently (on x86-64 Linux, std::int64_t is `long int` to g++ and
// `long` to clang++). A save names no type: a game built with one compiler reads the saves of a build with the
// other, or of the same code on another platform. This save was written by a g++ build; every build loads it,
// and writes it again byte for byte.
const char* const saved_by_gcc =
    "coflow-save 1\n"
    "runtime (i0;i15755400384260043839;i0;i0;i1;)\n"
    "run (s5:diarys1:ds36:e220a839-7b1d-cdaf-6e78-9e6aa1b965f4i0;i487617019471545679;s7:runningi0;s0:i0;i0;fi0;i0;i0;i0;[0:]i0;i6;)\n"
    "event (s16:workflow_startedi0;s5:diary[2:s1:5s5:%22ann%22]ffi0;)o(i5;s3:ann)n\n"
    "event (s12:wait_startedi0;s14:wait_condition[0:]ffi0;)nn\n"
    "event (s15:signal_acceptedi0;s4:note[1:s8:%22os2:hi%22]ffi0;)o(os2:hi)n\n"
    "event (s15:signal_acceptedi0;s4:wait[1:s6:%2240ms%22]ffi0;)o(i40;)n\n"
    "event (s14:signal_handledi0;s4:note[1:s1:1]ffi0;)nn\n"
    "event (s14:signal_handledi0;s4:wait[1:s1:2]ffi0;)nn\n"
    "end\n";

TEST_CASE("issue 15: a save made by a g++ build loads in a clang++ build and back", "[save][regression]") {
    coflow::deterministic_executor ex;
    coflow::runtime rt(ex, {.record_history = true});
    REQUIRE_NOTHROW(coflow::load(rt, saved_by_gcc, diary::definition));
    auto h = rt.get_workflow_handle_for<diary>("d");
    CHECK(h.query(&diary::log) == "ann:hi;");
    CHECK(h.query(&diary::total) == 45);
    CHECK(coflow::save(rt) == saved_by_gcc);

    coflow::deterministic_executor ex2;  // and this build's own save of the same run is the same text
    coflow::runtime rt2(ex2, {.record_history = true});
    auto h2 = rt2.start_workflow(&diary::run, i64{5}, std::string("ann"), {.id = "d"});
    ex2.advance(0s);
    h2.signal(&diary::note, std::optional<std::string>("hi"));
    h2.signal(&diary::wait, std::chrono::milliseconds(40));
    ex2.advance(0s);
    CHECK(coflow::save(rt2) == saved_by_gcc);
}
