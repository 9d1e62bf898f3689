// Durable runs (save.hpp), found while fuzzing and benchmarking the load path: what a save must carry to
// load elsewhere than where it was made.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

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

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

}  // namespace

// g++ and clang++ spell the same types differently in __PRETTY_FUNCTION__ (on x86-64 Linux, std::int64_t is
// `long int` to g++ and `long` to clang++), and a save names its values' types that way. A game built with
// one compiler must read the saves of a build with the other (or of the same code on another platform).
// [!mayfail] until save.hpp names types portably: today the load refuses the other build's save.
TEST_CASE("issue 15: a save made by a g++ build loads in a clang++ build and back", "[save][regression][!mayfail]") {
    if (!std::is_same_v<std::int64_t, long>) {
        WARN("not checked: the spellings below are those of a platform where std::int64_t is long");
        return;
    }
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        auto h = rt.start_workflow(&diary::run, i64{5}, std::string("ann"), {.id = "d"});
        ex.advance(0s);
        h.signal(&diary::note, std::optional<std::string>("hi"));
        h.signal(&diary::wait, std::chrono::milliseconds(40));
        ex.advance(0s);
        std::string saved = coflow::save(rt);

        // The same save as the other compiler's build writes it.
        struct spelling {
            const char* gcc;
            const char* clang;
        };
        constexpr spelling spellings[] = {
            {"(long int, std::string)", "(long, std::string)"},
            {"(std::optional<std::__cxx11::basic_string<char> >)", "(std::optional<std::basic_string<char>>)"},
            {"(std::chrono::duration<long int, std::ratio<1, 1000> >)", "(std::chrono::duration<long, std::ratio<1, 1000>>)"},
        };
#if defined(__clang__)
        constexpr bool by_clang = true;
#else
        constexpr bool by_clang = false;
#endif
        std::string other = saved;
        for (const spelling& s : spellings)
            replace_all(other, coflow::encode(std::string(by_clang ? s.clang : s.gcc)),
                        coflow::encode(std::string(by_clang ? s.gcc : s.clang)));

        coflow::deterministic_executor ex2;
        coflow::runtime rt2(ex2, {.record_history = true});
        REQUIRE_NOTHROW(coflow::load(rt2, other, diary::definition));
        auto h2 = rt2.get_workflow_handle_for<diary>("d");
        CHECK(h2.query(&diary::log) == "ann:hi;");
        CHECK(h2.query(&diary::total) == 45);
    }
}
