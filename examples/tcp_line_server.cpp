// tcp_line_server.cpp: coflow inside an Asio program. A TCP line server on 127.0.0.1 in which each
// connection is a workflow, each line it receives a signal, and a `status` line a query whose answer is
// written back. Needs standalone Asio (Debian: libasio-dev) and the optional header coflow/adapters/asio.hpp:
//
//     g++ -std=c++20 -pthread -I single_include -I include examples/tcp_line_server.cpp -o tcp_line_server
//
// Without arguments it serves two connections on an ephemeral port while a client thread talks to it, and
// prints the client's side. `tcp_line_server serve [n]` prints its port and serves n connections (3 by
// default) before it stops: try `nc 127.0.0.1 <port>`.
#include <coflow/coflow.hpp>
#include <coflow/adapters/asio.hpp>

#include <asio.hpp>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using asio::ip::tcp;

// One connection's conversation. Every line is a signal; `status` reads the counts with a query; the
// workflow ends when the client says `bye` (or leaves), with the number of words it sent.
class conversation {
public:
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return over_; });
        co_return words_;
    }
    void line(std::string text) {
        ++lines_;
        for (std::size_t i = 0; i < text.size(); ++i)
            if (text[i] != ' ' && (i == 0 || text[i - 1] == ' ')) ++words_;
        last_ = std::move(text);
    }
    void bye() { over_ = true; }
    std::string status() const {
        return "lines: " + std::to_string(lines_) + ", words: " + std::to_string(words_) + ", last: '" + last_ + "'";
    }
    static constexpr auto definition = coflow::define<conversation>("conversation")
                                           .run(&conversation::run)
                                           .signal("line", &conversation::line)
                                           .signal("bye", &conversation::bye)
                                           .query("status", &conversation::status);

private:
    int lines_ = 0;
    int words_ = 0;
    std::string last_;
    bool over_ = false;
};

// The Asio side of a connection: reads lines and turns them into signals and queries. Its handlers own it.
class connection : public std::enable_shared_from_this<connection> {
public:
    connection(tcp::socket socket, coflow::workflow_handle<conversation> h) : socket_(std::move(socket)), h_(std::move(h)) {}

    void read() {
        asio::async_read_until(socket_, asio::dynamic_buffer(input_), '\n',
                               [self = shared_from_this()](const asio::error_code& error, std::size_t n) {
                                   self->on_line(error, n);
                               });
    }

private:
    void on_line(const asio::error_code& error, std::size_t n) {
        if (error) {  // the client left without a bye
            if (!h_.is_closed()) h_.signal(&conversation::bye);
            return;
        }
        std::string line = input_.substr(0, n - 1);
        input_.erase(0, n);
        if (!line.empty() && line.back() == '\r') line.pop_back();  // telnet and nc -C end lines with \r\n
        if (line == "status") return reply(h_.query(&conversation::status), false);
        if (line == "bye") {
            h_.signal(&conversation::bye);
            return reply("bye, " + h_.query(&conversation::status), true);
        }
        h_.signal(&conversation::line, std::move(line));
        // Signals are handled in work posted to the io_context when they are accepted, and a query sees only
        // what was handled: reading on after that work, a `status` on the next line sees this one.
        asio::post(socket_.get_executor(), [self = shared_from_this()] { self->read(); });
    }

    void reply(std::string text, bool last) {
        output_ = std::move(text) + '\n';
        asio::async_write(socket_, asio::buffer(output_),
                          [self = shared_from_this(), last](const asio::error_code& error, std::size_t) {
                              if (!error && !last) self->read();  // else the socket closes with the last handler
                          });
    }

    tcp::socket socket_;
    coflow::workflow_handle<conversation> h_;
    std::string input_, output_;
};

// Listens on 127.0.0.1 on a port the system picks, starts a workflow for each connection, and stops
// listening after `connections` of them: io.run() returns once they have all ended.
class line_server {
public:
    line_server(asio::io_context& io, coflow::runtime& rt, int connections)
        : acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)), rt_(rt), left_(connections) {
        accept();
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    const std::vector<coflow::workflow_handle<conversation>>& conversations() const { return conversations_; }

private:
    void accept() {
        acceptor_.async_accept([this](const asio::error_code& error, tcp::socket socket) {
            if (error) return;
            const std::string id = "conn-" + std::to_string(conversations_.size() + 1);
            conversations_.push_back(rt_.start_workflow(&conversation::run, {.id = id}));
            std::make_shared<connection>(std::move(socket), conversations_.back())->read();
            if (--left_ > 0) accept();
            else acceptor_.close();
        });
    }

    tcp::acceptor acceptor_;
    coflow::runtime& rt_;
    int left_;
    std::vector<coflow::workflow_handle<conversation>> conversations_;
};

// The demo's client: plain blocking sockets on a thread of its own, printing both sides.
class client {
public:
    client(asio::io_context& io, const char* name) : socket_(io), name_(name) {}
    bool connect(unsigned short port) {
        asio::error_code error;
        socket_.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), error);
        return !error;
    }
    void send(std::string_view line) {
        std::printf("%s> %.*s\n", name_, static_cast<int>(line.size()), line.data());
        asio::error_code error;
        asio::write(socket_, asio::buffer(std::string(line) + '\n'), error);
    }
    void receive() {
        asio::error_code error;
        const std::size_t n = asio::read_until(socket_, asio::dynamic_buffer(input_), '\n', error);
        if (error) {
            std::printf("%s< (%s)\n", name_, error.message().c_str());
            return;
        }
        std::printf("%s< %s\n", name_, input_.substr(0, n - 1).c_str());
        input_.erase(0, n);
    }

private:
    tcp::socket socket_;
    const char* name_;
    std::string input_;
};

void demo_client(unsigned short port) {
    asio::io_context io;  // the client's own, run by nobody: its calls block
    client ann(io, "ann"), bob(io, "bob");
    if (!ann.connect(port) || !bob.connect(port)) {
        std::printf("client: cannot connect\n");
        return;
    }
    ann.send("hello there");
    bob.send("good morning everyone");
    ann.send("how are you");
    ann.send("status");
    ann.receive();
    bob.send("status");
    bob.receive();
    ann.send("bye");
    ann.receive();
    ann.receive();  // the server closed the connection
    bob.send("see you");
    bob.send("bye");
    bob.receive();
}

int main(int argc, char** argv) {
    const bool serve = argc > 1 && std::string_view(argv[1]) == "serve";
    const int connections = serve ? (argc > 2 ? std::stoi(argv[2]) : 3) : 2;

    asio::io_context io;            // made first, destroyed last
    coflow::asio_executor ex{io};   // coflow's work and timers go to io
    coflow::runtime rt{ex};
    line_server server(io, rt, connections);

    if (serve) {
        std::printf("listening on 127.0.0.1:%u for %d connections\n", unsigned{server.port()}, connections);
        std::fflush(stdout);
        io.run();
    } else {
        std::thread talker(demo_client, server.port());
        io.run_for(30s);  // the server stops by itself well before; this bounds a run that went wrong
        if (!io.stopped()) {
            std::fprintf(stderr, "the server did not stop within 30 s\n");
            talker.detach();  // it may wait on a socket that stays open
            return 1;
        }
        talker.join();
    }
    for (const auto& h : server.conversations()) {
        const std::string_view status = coflow::to_string(h.status());
        std::printf("%s %.*s: %d words\n", h.id().c_str(), static_cast<int>(status.size()), status.data(), h.result());
    }
}
