// The optional Asio adapter: coflow::asio_executor runs coflow on an asio::io_context in real time.
// Built only when CMake finds standalone Asio (Debian: libasio-dev). Times here are lower bounds only.
#include <coflow/adapters/asio.hpp>

#include <asio.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "coflow_catch.hpp"
#include "counted.hpp"

using namespace std::chrono_literals;

static_assert(std::is_base_of_v<coflow::executor, coflow::asio_executor>);
static_assert(!std::is_copy_constructible_v<coflow::asio_executor>);

namespace {

// Runs `io` until it has nothing left to do, for at most 30 s; true if it ran out of work.
bool run_dry(asio::io_context& io) {
    io.restart();  // a run that ran dry leaves it stopped
    io.run_for(30s);
    return io.stopped();
}

// Wakes once per tick, each time from a wait_condition with a 24 h timeout.
class waiter {
public:
    coflow::workflow<int> run() {
        int woken = 0;
        while (woken < 1000) {
            co_await coflow::wait_condition([this, &woken] { return ticks_ > woken; }, 24h);
            ++woken;
        }
        co_return woken;
    }
    void tick() { ++ticks_; }
    static constexpr auto definition =
        coflow::define<waiter>("waiter").run(&waiter::run).signal("tick", &waiter::tick);

private:
    int ticks_ = 0;
};

// Boils 30 ms after it is switched on.
class kettle {
public:
    coflow::workflow<coflow::duration> run() {
        co_await coflow::wait_condition([this] { return on_; });
        const coflow::time_point switched_on = coflow::now();
        co_await coflow::sleep(30ms);
        co_return coflow::now() - switched_on;
    }
    void switch_on() { on_ = true; }
    static constexpr auto definition =
        coflow::define<kettle>("kettle").run(&kettle::run).signal("switch_on", &kettle::switch_on);

private:
    bool on_ = false;
};

}  // namespace

TEST_CASE("issue 18: asio_executor runs posted work in the order posted, work posted by work after it",
          "[asio][regression]") {
    asio::io_context io;
    coflow::asio_executor ex{io};
    std::vector<int> order;
    for (int i = 0; i < 100; ++i) {
        ex.post([&order, &ex, i] {
            order.push_back(i);
            if (i == 0) ex.post([&order] { order.push_back(1000); });
        });
    }
    REQUIRE(run_dry(io));
    REQUIRE(order.size() == 101);
    for (int i = 0; i < 100; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
    CHECK(order.back() == 1000);
}

TEST_CASE("issue 18: asio_executor fires timers in order of due time, ties in the order set, never early",
          "[asio][regression]") {
    asio::io_context io;
    coflow::asio_executor ex{io};
    struct fired {
        int which;
        coflow::time_point due, at;
    };
    std::vector<fired> log;
    const coflow::time_point t0 = ex.now();
    const std::vector<std::pair<int, coflow::duration>> timers{
        {0, 40ms}, {1, 10ms}, {2, 25ms}, {3, 10ms}, {4, 0ms}, {5, 25ms}, {6, -5ms}};
    for (const auto& timer : timers) {
        const int which = timer.first;
        const coflow::time_point due = t0 + timer.second;
        ex.post_at(due, [&log, &ex, which, due] { log.push_back({which, due, ex.now()}); });
    }
    CHECK(ex.timer_count() == timers.size());
    REQUIRE(run_dry(io));
    CHECK(ex.timer_count() == 0);
    std::vector<int> order;
    for (const fired& f : log) {
        order.push_back(f.which);
        CHECK(f.at >= f.due);
    }
    CHECK(order == std::vector<int>{6, 4, 1, 3, 2, 5, 0});
    CHECK(ex.now() - t0 >= 40ms);
}

TEST_CASE("issue 18: asio_executor's cancel destroys the timer's work unrun and ignores ids it no longer holds",
          "[asio][regression]") {
    counted::reset();
    {
        asio::io_context io;
        coflow::asio_executor ex{io};
        std::vector<int> ran;
        const coflow::time_point t0 = ex.now();
        const coflow::timer_id a = ex.post_at(t0 + 5ms, [&ran, c = counted{}] { ran.push_back(1); });
        const coflow::timer_id b = ex.post_at(t0 + 10ms, [&ran, c = counted{}] { ran.push_back(2); });
        const coflow::timer_id c = ex.post_at(t0 + 15ms, [&ran, c = counted{}] { ran.push_back(3); });
        CHECK(counted::alive() == 3);
        ex.cancel(b);
        CHECK(counted::alive() == 2);  // destroyed at once, not when its time comes
        CHECK(ex.timer_count() == 2);
        ex.cancel(b);  // cancelled already
        ex.cancel(c + 1000);  // never set
        CHECK(ex.timer_count() == 2);
        REQUIRE(run_dry(io));
        CHECK(ran == std::vector<int>{1, 3});
        CHECK(counted::alive() == 0);
        ex.cancel(a);  // ran already
        ex.cancel(c);
        CHECK(ex.timer_count() == 0);

        // Cancelling the earliest timer moves the wake-up on to the next.
        const coflow::timer_id d = ex.post_at(ex.now() + 1ms, [&ran] { ran.push_back(4); });
        ex.post_at(ex.now() + 3ms, [&ran] { ran.push_back(5); });
        ex.cancel(d);
        REQUIRE(run_dry(io));
        CHECK(ran == std::vector<int>{1, 3, 5});
    }
    CHECK(counted::alive() == 0);
}

TEST_CASE("issue 18: when the last timer is cancelled, asio_executor leaves io_context::run() nothing to wait for",
          "[asio][regression]") {
    asio::io_context io;
    coflow::asio_executor ex{io};
    bool ran = false;
    const coflow::timer_id a = ex.post_at(ex.now() + 1h, [&ran] { ran = true; });
    const coflow::timer_id b = ex.post_at(coflow::time_point::max(), [&ran] { ran = true; });
    ex.cancel(a);
    ex.cancel(b);
    CHECK(run_dry(io));  // returns at once: an hour-long wait would have kept it 30 s, then failed
    CHECK_FALSE(ran);
}

TEST_CASE("issue 18: a long wait_condition loop on asio_executor keeps one timer, not one per wait",
          "[asio][regression]") {
    asio::io_context io;
    coflow::asio_executor ex{io};
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&waiter::run);
    std::size_t most_timers = 0;
    // Each tick is sent once the one before was handled; each wait's 24 h timer is cancelled when it ends.
    std::function<void()> send = [&] {
        most_timers = std::max(most_timers, ex.timer_count());
        if (h.is_closed()) return;
        h.signal(&waiter::tick);
        asio::post(io, send);
    };
    asio::post(io, send);
    REQUIRE(run_dry(io));  // no timer left to wait 24 h for
    CHECK(h.result() == 1000);
    CHECK(most_timers == 1);
    CHECK(ex.timer_count() == 0);
}

TEST_CASE("issue 18: a workflow on asio_executor sleeps in real time and takes signals from Asio handlers",
          "[asio][regression]") {
    asio::io_context io;
    coflow::asio_executor ex{io};
    coflow::runtime rt{ex};
    auto h = rt.start_workflow(&kettle::run);
    asio::steady_timer press{io, 10ms};
    press.async_wait([&h](const asio::error_code& error) {
        if (!error) h.signal(&kettle::switch_on);
    });
    REQUIRE(run_dry(io));
    REQUIRE(h.status() == coflow::workflow_status::completed);
    CHECK(h.result() >= 30ms);
    CHECK(ex.now() >= coflow::time_point{40ms});
}

TEST_CASE("issue 18: destroying asio_executor destroys its timers' works, and its steady_timer's handler then does nothing",
          "[asio][regression]") {
    counted::reset();
    asio::io_context io;
    bool ran = false;
    {
        coflow::asio_executor ex{io};
        ex.post_at(ex.now() + 1h, [&ran, c = counted{}] { ran = true; });
        ex.post_at(ex.now(), [&ran, c = counted{}] { ran = true; });  // due at once: its wait is queued
        CHECK(counted::alive() == 2);
    }
    CHECK(counted::alive() == 0);
    CHECK(run_dry(io));  // runs the aborted wait's handler, which must not touch the executor (ASan)
    CHECK_FALSE(ran);
}

// --- a TCP line server on 127.0.0.1: a workflow per connection, a signal per line, a query per `status` ---

namespace {

class line_session {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return done_; });
        co_return lines_;
    }
    void line(std::string text) {
        ++lines_;
        last_ = std::move(text);
    }
    void bye() { done_ = true; }
    std::string status() const { return "lines: " + std::to_string(lines_) + ", last: '" + last_ + "'"; }
    static constexpr auto definition = coflow::define<line_session>("line_session")
                                           .run(&line_session::run)
                                           .signal("line", &line_session::line)
                                           .signal("bye", &line_session::bye)
                                           .query("status", &line_session::status);

private:
    int lines_ = 0;
    std::string last_;
    bool done_ = false;
};

// Reads lines: `status` is answered by a query, `bye` (or the client leaving) ends the workflow, any
// other line is a signal.
class line_connection : public std::enable_shared_from_this<line_connection> {
public:
    line_connection(asio::ip::tcp::socket socket, coflow::workflow_handle<line_session> session)
        : socket_(std::move(socket)), session_(std::move(session)) {}

    void read() {
        asio::async_read_until(socket_, asio::dynamic_buffer(input_), '\n',
                               [self = shared_from_this()](const asio::error_code& error, std::size_t n) {
                                   self->on_line(error, n);
                               });
    }
    void close() {
        asio::error_code ignored;
        socket_.close(ignored);
    }

private:
    void on_line(const asio::error_code& error, std::size_t n) {
        if (error) {  // the client left
            if (!session_.is_closed()) session_.signal(&line_session::bye);
            return;
        }
        std::string line = input_.substr(0, n - 1);
        input_.erase(0, n);
        if (line == "status") return reply(session_.query(&line_session::status), false);
        if (line == "bye") {
            session_.signal(&line_session::bye);
            return reply("bye, " + session_.query(&line_session::status), true);
        }
        session_.signal(&line_session::line, std::move(line));
        // The signal's activation was posted when it was accepted, so it runs first: a `status` on the
        // next line sees this one.
        asio::post(socket_.get_executor(), [self = shared_from_this()] { self->read(); });
    }
    void reply(std::string text, bool last) {
        output_ = std::move(text) + '\n';
        asio::async_write(socket_, asio::buffer(output_),
                          [self = shared_from_this(), last](const asio::error_code& error, std::size_t) {
                              if (!error && !last) self->read();
                          });
    }

    asio::ip::tcp::socket socket_;
    coflow::workflow_handle<line_session> session_;
    std::string input_, output_;
};

// Accepts `connections` connections on 127.0.0.1 (an ephemeral port), then stops accepting: run() returns
// once they have all ended. Destroying it closes what is still open, so that a stuck client wakes up.
class line_server {
public:
    line_server(asio::io_context& io, coflow::runtime& rt, int connections)
        : acceptor_(io, {asio::ip::address_v4::loopback(), 0}), rt_(rt), left_(connections) {
        accept();
    }
    line_server(const line_server&) = delete;
    line_server& operator=(const line_server&) = delete;
    ~line_server() {
        for (const auto& weak : connections_)
            if (auto c = weak.lock()) c->close();
    }

    [[nodiscard]] unsigned short port() const { return acceptor_.local_endpoint().port(); }
    [[nodiscard]] const std::vector<coflow::workflow_handle<line_session>>& sessions() const { return sessions_; }

private:
    void accept() {
        acceptor_.async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
            if (error) return;
            const std::string id = "conn-" + std::to_string(sessions_.size() + 1);
            sessions_.push_back(rt_.start_workflow(&line_session::run, {.id = id}));
            auto c = std::make_shared<line_connection>(std::move(socket), sessions_.back());
            connections_.push_back(c);
            c->read();
            if (--left_ > 0) accept();
            else acceptor_.close();
        });
    }

    asio::ip::tcp::acceptor acceptor_;
    coflow::runtime& rt_;
    int left_;
    std::vector<coflow::workflow_handle<line_session>> sessions_;
    std::vector<std::weak_ptr<line_connection>> connections_;
};

// A blocking client on its own thread. Errors become text in the transcript, never exceptions.
class line_client {
public:
    explicit line_client(asio::io_context& io) : socket_(io) {}
    bool connect(unsigned short port) {
        asio::error_code error;
        socket_.connect({asio::ip::address_v4::loopback(), port}, error);
        return !error;
    }
    void send_raw(std::string_view bytes) {
        asio::error_code error;
        asio::write(socket_, asio::buffer(bytes.data(), bytes.size()), error);
    }
    void send(std::string_view line) { send_raw(std::string(line) + '\n'); }
    std::string receive() {
        asio::error_code error;
        const std::size_t n = asio::read_until(socket_, asio::dynamic_buffer(input_), '\n', error);
        if (error) return "<" + error.message() + ">";
        std::string line = input_.substr(0, n - 1);
        input_.erase(0, n);
        return line;
    }
    std::string ask(std::string_view line) {
        send(line);
        return receive();
    }
    void close() {
        asio::error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

private:
    asio::ip::tcp::socket socket_;
    std::string input_;
};

}  // namespace

TEST_CASE("issue 18: a TCP line server on 127.0.0.1 runs a workflow per connection, a signal per line, a query per status line",
          "[asio][regression]") {
    asio::io_context io;
    coflow::asio_executor ex{io};
    coflow::runtime rt{ex};
    auto server = std::make_unique<line_server>(io, rt, 3);
    const unsigned short port = server->port();
    REQUIRE(port != 0);

    std::vector<std::string> replies;
    bool connected = false;
    std::thread client([port, &replies, &connected] {
        asio::io_context client_io;
        line_client a(client_io), b(client_io), c(client_io);
        connected = a.connect(port) && b.connect(port) && c.connect(port);
        if (!connected) return;
        a.send("alpha beta");
        b.send("one");
        a.send("gamma");
        replies.push_back(c.ask("status"));
        replies.push_back(a.ask("status"));
        replies.push_back(b.ask("status"));
        a.send_raw("del");  // a line in two pieces, then three lines in one write
        a.send_raw("ta\nepsilon\nzeta\nstatus\n");
        replies.push_back(a.receive());
        replies.push_back(a.ask("bye"));
        replies.push_back(a.receive());  // the server closed the connection
        b.close();                       // leaves without a word: its workflow ends too
        for (int i = 1; i <= 50; ++i) c.send("line " + std::to_string(i));
        replies.push_back(c.ask("bye"));
    });

    const bool stopped = run_dry(io);  // the server stops by itself after its 3 connections
    server.reset();                    // closes what is left, should it not have
    client.join();
    REQUIRE(connected);
    REQUIRE(stopped);
    CHECK(replies == std::vector<std::string>{
                         "lines: 0, last: ''",
                         "lines: 2, last: 'gamma'",
                         "lines: 1, last: 'one'",
                         "lines: 5, last: 'zeta'",
                         "bye, lines: 5, last: 'zeta'",
                         "<End of file>",
                         "bye, lines: 50, last: 'line 50'",
                     });
    const std::vector<int> results{5, 1, 50};
    for (std::size_t i = 0; i < 3; ++i) {
        const auto h = rt.get_workflow_handle_for<line_session>("conn-" + std::to_string(i + 1));
        REQUIRE(h.status() == coflow::workflow_status::completed);
        CHECK(h.result() == results[i]);
    }
}

TEST_CASE("issue 15: a save made on the virtual clock loads onto asio_executor and goes on in real time",
          "[asio][save][regression]") {
    std::string saved;
    {
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, {.record_history = true});
        auto h = rt.start_workflow(&kettle::run, {.id = "k"});
        h.signal(&kettle::switch_on);
        ex.advance(10ms);  // 10 of its 30 ms boiling
        saved = coflow::save(rt);
    }
    asio::io_context io;
    coflow::asio_executor ex(io);
    coflow::runtime rt(ex, {.record_history = true});
    // The clock shows the save's time from when load restores it, before the runs replay.
    const auto t0 = std::chrono::steady_clock::now();
    coflow::load(rt, saved, kettle::definition);
    CHECK(ex.now() >= coflow::time_point(10ms));
    CHECK(ex.timer_count() == 1);
    REQUIRE(run_dry(io));
    CHECK(std::chrono::steady_clock::now() - t0 >= 20ms);  // the 20 ms left, in real time
    CHECK(rt.get_workflow_handle_for<kettle>("k").result() >= 30ms);
}
