// game_loop.cpp: coflow inside a game. A fixed-step frame loop (16 ms a frame) calls ex.advance(16ms) once
// per frame; each guard is an NPC workflow. Guards patrol with timed waits, react to "noise" signals that
// the game sends from scripted player input, alert each other through external handles, and the HUD is
// drawn every 30 frames from queries. Everything is on the game's thread, on the executor's clock, so
// the run is the same every time (text output only).
#include <coflow/coflow.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

constexpr int corridor = 24;          // tiles 0..23
constexpr int hearing = 5;            // a guard hears noises up to 5 tiles away
constexpr auto frame_time = 16ms;     // the fixed step
constexpr int hud_every = 30;         // frames between two HUD lines

double seconds() { return std::chrono::duration<double>(coflow::now().time_since_epoch()).count(); }

struct guard_config {
    std::string name;                  // "A": also the workflow id "guard-A"
    int left = 0, right = 0;           // patrol between these tiles (a sentry has left == right)
    std::vector<std::string> buddies;  // who this guard alerts
};

class guard {
public:
    coflow::workflow<int> run(guard_config cfg) {
        cfg_ = std::move(cfg);
        pos_ = cfg_.left;
        int dir = 1;
        while (!off_duty_) {
            if (alarm_) {
                co_await respond();
                continue;
            }
            status_ = cfg_.left == cfg_.right ? "on watch" : "patrolling";
            auto alarmed = [this] { return alarm_.has_value() || off_duty_; };
            if (cfg_.left == cfg_.right) {
                co_await coflow::wait_condition(alarmed);  // a sentry just waits: no timer, no wake-ups
                continue;
            }
            // One tile every 400 ms, but a noise or an alert interrupts the step at once.
            if (co_await coflow::wait_condition(alarmed, 400ms)) continue;
            if (pos_ == cfg_.right) dir = -1;
            if (pos_ == cfg_.left) dir = 1;
            pos_ += dir;
            ++walked_;
        }
        status_ = "off duty";
        co_return walked_;
    }

    // Signals. Handlers only record; the body decides what to do.
    void noise(int tile) { alarm_ = alarm{tile, ""}; }                               // from the game
    void alert(std::string from, int tile) { alarm_ = alarm{tile, std::move(from)}; }  // from another guard
    void end_shift() { off_duty_ = true; }

    // Queries, read by the game's HUD.
    int position() const { return pos_; }
    std::string status() const { return status_; }

private:
    struct alarm {
        int tile;
        std::string from;  // empty: heard it; else the guard who raised the alarm
    };

    // Runs to the tile, searches it, walks back to the patrol route.
    coflow::task<void> respond() {
        const alarm a = *std::exchange(alarm_, std::nullopt);
        if (a.from.empty()) {
            std::printf("  %5.2fs  guard %s hears a noise at tile %d and alerts", seconds(), cfg_.name.c_str(), a.tile);
            for (const std::string& b : cfg_.buddies) {
                // Workflow to workflow: resumes once the buddy has accepted the signal.
                auto buddy = coflow::get_external_workflow_handle_for<guard>("guard-" + b);
                co_await buddy.signal(&guard::alert, cfg_.name, a.tile);
                std::printf(" %s", b.c_str());
            }
            std::printf("\n");
            status_ = "investigating " + std::to_string(a.tile);
        } else {
            std::printf("  %5.2fs  guard %s is alerted by %s\n", seconds(), cfg_.name.c_str(), a.from.c_str());
            status_ = "backing up " + a.from;
        }
        co_await walk_to(a.tile, 150ms);  // running
        status_ = "searching " + std::to_string(a.tile);
        co_await coflow::sleep(1200ms);
        status_ = "returning";
        co_await walk_to(pos_ < cfg_.left ? cfg_.left : pos_ > cfg_.right ? cfg_.right : pos_, 300ms);
    }

    coflow::task<void> walk_to(int tile, coflow::duration per_tile) {
        while (pos_ != tile) {
            co_await coflow::sleep(per_tile);
            pos_ += pos_ < tile ? 1 : -1;
            ++walked_;
        }
    }

    guard_config cfg_;
    int pos_ = 0;
    int walked_ = 0;
    std::optional<alarm> alarm_;
    bool off_duty_ = false;
    std::string status_ = "reporting";

public:
    static constexpr auto definition = coflow::define<guard>("guard")
        .run(&guard::run)
        .signal("noise", &guard::noise)
        .signal("alert", &guard::alert)
        .signal("end_shift", &guard::end_shift)
        .query("position", &guard::position)
        .query("status", &guard::status);
};

// The player's input, scripted by frame so that the run can be compared with its .out file.
struct input_event {
    int frame;
    const char* what;
    int tile;  // where the noise is; -1: the shift ends
};
constexpr input_event script[] = {
    {45, "the player knocks over a vase", 5},
    {200, "the player throws a stone", 19},
    {330, "the bell rings: end of shift", -1},
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    std::vector<coflow::workflow_handle<guard>> guards;
    guards.push_back(rt.start_workflow(&guard::run, guard_config{"A", 1, 8, {"B", "C"}}, {.id = "guard-A"}));
    guards.push_back(rt.start_workflow(&guard::run, guard_config{"B", 15, 22, {"A", "C"}}, {.id = "guard-B"}));
    guards.push_back(rt.start_workflow(&guard::run, guard_config{"C", 12, 12, {"A", "B"}}, {.id = "guard-C"}));
    int noise_tile = -1, noise_until = 0;  // drawn as '*' on the HUD for a second

    auto draw_hud = [&](int frame) {
        std::string map(corridor, '.');
        if (frame < noise_until) map[static_cast<std::size_t>(noise_tile)] = '*';
        std::string line;
        for (const auto& g : guards) {
            const std::string name = g.id().substr(6);  // "guard-A" -> "A"
            const int at = g.query(&guard::position);
            map[static_cast<std::size_t>(at)] = name[0];  // two guards on one tile: the last one drawn shows
            line += "  " + name + "@" + std::to_string(at) + " " + g.query(&guard::status);
        }
        const double t = std::chrono::duration<double>(ex.now().time_since_epoch()).count();
        std::printf("[frame %3d %5.2fs] |%s|%s\n", frame, t, map.c_str(), line.c_str());
    };

    bool all_off_duty = false;
    int frame = 0;
    while (!all_off_duty) {
        ++frame;
        // 1. Input: turn this frame's events into signals (accepted now, handled during advance).
        for (const input_event& ev : script) {
            if (ev.frame != frame) continue;
            std::printf("  frame %d: %s", frame, ev.what);
            if (ev.tile >= 0) std::printf(" at tile %d", ev.tile);
            std::printf("\n");
            int heard = 0;
            for (const auto& g : guards) {
                if (ev.tile < 0) {
                    g.signal(&guard::end_shift);
                } else if (std::abs(g.query(&guard::position) - ev.tile) <= hearing) {  // game logic may query too
                    g.signal(&guard::noise, ev.tile);
                    ++heard;
                }
            }
            if (ev.tile >= 0 && heard == 0) std::printf("  nobody is within %d tiles of tile %d\n", hearing, ev.tile);
            if (ev.tile >= 0) noise_tile = ev.tile, noise_until = frame + 60;
        }
        // 2. Simulate one fixed step: every workflow step and timer due within these 16 ms runs now.
        ex.advance(frame_time);
        // 3. Draw.
        if (frame % hud_every == 0) draw_hud(frame);
        all_off_duty = true;
        for (const auto& g : guards) all_off_duty = all_off_duty && g.is_closed();
    }
    std::printf("frame %d: all guards off duty; tiles walked:", frame);
    for (const auto& g : guards) std::printf(" %s %d", g.id().c_str(), g.result());
    std::printf("\n");
}
