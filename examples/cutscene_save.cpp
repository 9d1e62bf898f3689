// cutscene_save.cpp: a game that saves in the middle of a cutscene and loads, going on exactly where it was.
// The cutscene is a workflow: lines of dialogue shown for a while each (a skip cuts one short), then a
// choice the player has 6 s to make. The game loop advances the executor 16 ms a frame, sends the player's
// input as signals, and draws the current line, read with a query, whenever it changes. Drawing stays in
// the game: a load replays the cutscene's code to rebuild it, so that code must not print.
//
// Half-way through a line the game writes its save: its own state (the frame) and coflow::save(rt). It then
// destroys the runtime, loads the save into a new runtime on a new executor, and goes on: the same line is
// on screen with the same time left, and every later line comes at the same frame as in a game that never
// stopped. The program plays both and checks that they drew the same lines.
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;

class cutscene {
public:
    coflow::workflow<std::string> run(std::string hero) {
        co_await say("GUARD", "Halt! Who goes there?", 2s);
        co_await say(hero, "Just a traveller, looking for the old mill.", 3s);
        co_await say("GUARD", "The mill? Nobody goes there since the fire.", 3s);
        co_await say("GUARD", "Take this key, then. You will need it.", 4s);
        co_await say("", "Take the key?  [1] yes  [2] no", 0s);
        ends_at_ms_ = ms_since_epoch(coflow::now() + 6s);
        const bool chose = co_await coflow::wait_condition([this] { return choice_ != 0; }, 6s);
        if (!chose) choice_ = 2;  // no answer counts as no
        if (choice_ == 1) {
            co_await say(hero, "Thank you. I will bring it back.", 2s);
            co_await say("GUARD", "See that you do.", 2s);
            co_return "key";
        }
        co_await say(hero, "I will find my own way in.", 2s);
        co_await say("GUARD", "Suit yourself, stranger.", 2s);
        co_return "no key";
    }

    void skip() { skip_ = true; }
    void choose(int option) { choice_ = option; }

    // What the game draws.
    [[nodiscard]] int line_number() const { return number_; }
    [[nodiscard]] std::string line() const { return who_.empty() ? text_ : who_ + ": " + text_; }
    [[nodiscard]] std::int64_t ends_at_ms() const { return ends_at_ms_; }

private:
    static std::int64_t ms_since_epoch(coflow::time_point t) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    }

    // Shows one line for `d`, or until the player skips it (0s: no wait; the caller waits).
    coflow::task<void> say(std::string who, std::string text, coflow::duration d) {
        ++number_;
        who_ = std::move(who);
        text_ = std::move(text);
        ends_at_ms_ = ms_since_epoch(coflow::now() + d);
        skip_ = false;
        if (d > 0s) co_await coflow::wait_condition([this] { return skip_; }, d);
    }

    int number_ = 0, choice_ = 0;
    bool skip_ = false;
    std::string who_, text_;
    std::int64_t ends_at_ms_ = 0;

public:
    static constexpr auto definition = coflow::define<cutscene>("cutscene")
                                           .run(&cutscene::run)
                                           .signal("skip", &cutscene::skip)
                                           .signal("choose", &cutscene::choose)
                                           .query("line_number", &cutscene::line_number)
                                           .query("line", &cutscene::line)
                                           .query("ends_at_ms", &cutscene::ends_at_ms);
};

constexpr auto frame_time = 16ms;
constexpr int skip_at_frame = 340;    // the player skips a line...
constexpr int choose_at_frame = 900;  // ...and takes the key
constexpr int save_at_frame = 470;    // half-way through the fourth line

// The whole game: the executor, the runtime and the cutscene's handle, made anew by a load.
struct game {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex, {.record_history = true}};  // a save is a history of each run
    int frame = 0;
    int drawn = 0;  // the line on screen
};

std::string clock_text(const game& g) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(g.ex.now().time_since_epoch()).count();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%03llds", static_cast<long long>(ms / 1000), static_cast<long long>(ms % 1000));
    return buf;
}

std::string time_left(game& g) {
    const auto h = g.rt.get_workflow_handle_for<cutscene>("intro");
    const std::int64_t ends = h.query(&cutscene::ends_at_ms);
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(g.ex.now().time_since_epoch()).count();
    return std::to_string(ends - now) + " ms left";
}

// Plays the cutscene to its end; with `save_and_load`, saves at save_at_frame and goes on from a load.
// Returns the lines drawn, each with its frame; `print` prints them, and the save and load.
std::vector<std::string> play(bool save_and_load, bool print) {
    auto g = std::make_unique<game>();
    (void)g->rt.start_workflow(&cutscene::run, std::string("ASH"), {.id = "intro"});
    std::vector<std::string> drawn;
    for (;;) {
        ++g->frame;
        auto scene = g->rt.get_workflow_handle_for<cutscene>("intro");
        // 1. Input.
        if (g->frame == skip_at_frame) scene.signal(&cutscene::skip);
        if (g->frame == choose_at_frame) scene.signal(&cutscene::choose, 1);
        // 2. One fixed step.
        g->ex.advance(frame_time);
        // 3. Draw.
        if (scene.is_closed()) break;
        if (const int n = scene.query(&cutscene::line_number); n != g->drawn) {
            g->drawn = n;
            drawn.push_back("[frame " + std::to_string(g->frame) + " " + clock_text(*g) + "] " + scene.query(&cutscene::line));
            if (print) std::printf("%s  (%s)\n", drawn.back().c_str(), time_left(*g).c_str());
        }
        // 4. Save, quit, load.
        if (save_and_load && g->frame == save_at_frame) {
            std::ostringstream file;
            file << "frame " << g->frame << " line " << g->drawn << "\n";  // the game's own state first
            coflow::save(g->rt, file);
            if (print)
                std::printf("  -- saved at frame %d, %s: line %d on screen, %s\n", g->frame, clock_text(*g).c_str(),
                            g->drawn, time_left(*g).c_str());
            g.reset();  // the cutscene's coroutine frame is gone with the runtime

            g = std::make_unique<game>();
            std::istringstream in(file.str());
            std::string word;
            in >> word >> g->frame >> word >> g->drawn;
            in.ignore(1);  // the newline; the rest is coflow's
            coflow::load(g->rt, in, cutscene::definition);
            if (print) {
                const auto again = g->rt.get_workflow_handle_for<cutscene>("intro");
                std::printf("  -- loaded at frame %d, %s: line %d on screen, %s: \"%s\"\n", g->frame,
                            clock_text(*g).c_str(), again.query(&cutscene::line_number), time_left(*g).c_str(),
                            again.query(&cutscene::line).c_str());
            }
        }
    }
    const auto scene = g->rt.get_workflow_handle_for<cutscene>("intro");
    drawn.push_back("[frame " + std::to_string(g->frame) + " " + clock_text(*g) + "] the cutscene ends: " + scene.result());
    if (print) std::printf("%s\n", drawn.back().c_str());
    return drawn;
}

int main() {
    const std::vector<std::string> loaded = play(true, true);
    const std::vector<std::string> straight = play(false, false);
    const bool same = loaded == straight;
    std::printf("a game that never stopped drew %s (%zu lines)\n", same ? "the same lines at the same frames" : "OTHER LINES",
                straight.size());
    return same ? EXIT_SUCCESS : EXIT_FAILURE;
}
