// ping_pong.cpp: two workflows signalling each other through external handles, Temporal's
// workflow.get_external_workflow_handle(_for). "ping" serves a ball carrying a counter, "pong" returns
// it one higher, and so on for a few volleys. `co_await peer.signal(...)` completes once the peer has
// accepted the signal, and throws there if it could not (no such workflow, closed, over its limit).
#include <coflow/coflow.hpp>

#include <chrono>
#include <iostream>
#include <string>

using namespace std::chrono_literals;

auto at() {  // "t=<ms>ms", the executor's virtual clock as seen from workflow code
    return "t=" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     coflow::now().time_since_epoch()).count()) + "ms ";
}

class pong {
public:
    coflow::workflow<int> run() {
        // By name: pong needs nothing of ping's type (ping is declared below), only its id and the
        // signal's name and argument types, which are checked when the signal goes out.
        auto peer = coflow::get_external_workflow_handle("ping");
        for (;;) {
            co_await coflow::wait_condition([&] { return !balls.empty() || game_over_; });
            if (balls.empty()) co_return hits_;  // game over, nothing left to return
            const int n = *balls.try_receive();
            co_await coflow::sleep(50ms);  // the ball takes a while to come back
            ++hits_;
            std::cout << "  " << at() << "[pong] returns " << n + 1 << '\n';
            co_await peer.signal("ball", n + 1);
        }
    }
    void game_over() { game_over_ = true; }

    coflow::signal_channel<int> balls;  // public, so that a typed handle can name it

private:
    int hits_ = 0;
    bool game_over_ = false;

public:
    static constexpr auto definition = coflow::define<pong>("pong")
        .run(&pong::run)
        .signal("ball", &pong::balls)
        .signal("game_over", &pong::game_over);
};

class ping {
public:
    coflow::workflow<int> run(int volleys) {
        // Typed: the signal is named by member pointer and its argument checked at compile time.
        auto peer = coflow::get_external_workflow_handle_for<pong>("pong");
        int n = 0;
        for (int v = 1; v <= volleys; ++v) {
            co_await coflow::sleep(50ms);
            std::cout << "  " << at() << "[ping] serves " << n + 1 << '\n';
            co_await peer.signal(&pong::balls, n + 1);  // resumes once pong has accepted it
            n = co_await balls_.receive();               // pong's return
        }
        co_await peer.signal(&pong::game_over);
        std::cout << "  " << at() << "[ping] last ball came back at " << n << ", told pong the game is over\n";

        // Making a handle checks nothing, nor does calling signal(): the request goes out when this step
        // of ping ends, and co_await reports what happened to it.
        auto stray = coflow::get_external_workflow_handle("pong-2");
        auto sent = stray.signal("ball", n + 1);
        std::cout << "  " << at() << "[ping] queued a ball for 'pong-2'\n";
        try {
            co_await sent;
        } catch (const coflow::workflow_not_found& e) {
            std::cout << "  " << at() << "[ping] co_await threw: " << e.what() << '\n';
        }
        co_return n;
    }

private:
    coflow::signal_channel<int> balls_;

public:
    static constexpr auto definition = coflow::define<ping>("ping").run(&ping::run).signal("ball", &ping::balls_);
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto p = rt.start_workflow(&ping::run, 4, {.id = "ping"});
    auto q = rt.start_workflow(&pong::run, {.id = "pong"});
    ex.run_until_idle();
    std::cout << "ping: " << coflow::to_string(p.status()) << ", result " << p.result() << '\n'
              << "pong: " << coflow::to_string(q.status()) << ", result " << q.result() << " hit(s)\n";
}
