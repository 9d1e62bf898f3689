// dynamic_handlers.cpp: Temporal's dynamic signal and query handlers in coflow. A game's debug console
// sends commands whose names are only known at run time; one catch-all handler takes them all, and
// one catch-all query answers questions by name. Named handlers still take their own names first.
#include <coflow/coflow.hpp>

#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

class console {
public:
    // Runs until told to quit; returns how many commands it ran.
    coflow::workflow<int> run() {
        co_await coflow::wait_condition([this] { return quit_; });
        co_return ran_;
    }

    // A named signal: "quit" always comes here, never to the dynamic handler.
    void quit() { quit_ = true; }

    // @workflow.signal(dynamic=True): every other by-name signal, with its name and arguments as
    // sent. raw_args checks each read: asking for a type the sender did not give throws
    // argument_mismatch, which would fail the run, so a console checks with holds<U>() first.
    void command(std::string name, coflow::raw_args args) {
        ++ran_;
        if (name == "set" && args.size() == 2 && args.holds<std::string>(0) && args.holds<int>(1)) {
            vars_[args.get<std::string>(0)] = args.get<int>(1);
            log_.push_back("set " + args.get<std::string>(0));
        } else if (name == "add" && args.size() == 2 && args.holds<std::string>(0) && args.holds<int>(1)) {
            vars_[args.get<std::string>(0)] += args.get<int>(1);
            log_.push_back("add " + args.get<std::string>(0));
        } else {
            log_.push_back("unknown command '" + name + "' " + args.type_names());
        }
    }

    // @workflow.query(dynamic=True): any query but the named ones. By-name callers ask for its result
    // type, int here; it may read parameters like any query.
    int lookup(std::string_view name, const coflow::raw_args& args) const {
        if (name == "var" && args.holds<std::string>(0)) {
            auto it = vars_.find(args.get<std::string>(0));
            return it == vars_.end() ? 0 : it->second;
        }
        if (name == "count") return static_cast<int>(vars_.size());
        return -1;
    }

    // A named query: "log" comes here.
    std::vector<std::string> log() const { return log_; }

    static constexpr auto definition = coflow::define<console>("console")
        .run(&console::run)
        .signal("quit", &console::quit)
        .query("log", &console::log)
        .dynamic_signal(&console::command)
        .dynamic_query(&console::lookup);

private:
    std::map<std::string, int> vars_;
    std::vector<std::string> log_;
    int ran_ = 0;
    bool quit_ = false;
};

// A type with no dynamic handlers: unknown names fail at the sender, as in the other examples.
class strict_console {
public:
    coflow::workflow<void> run() { co_await coflow::wait_condition([this] { return quit_; }); }
    void quit() { quit_ = true; }
    static constexpr auto definition =
        coflow::define<strict_console>("strict_console").run(&strict_console::run).signal("quit", &strict_console::quit);

private:
    bool quit_ = false;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};

    // The names come from what a player typed: the client sends them by name.
    auto h = rt.get_workflow_handle("console-1");
    (void)rt.start_workflow(&console::run, {.id = "console-1"});
    h.signal("set", "gold", 100);  // a string literal arrives as std::string
    h.signal("add", "gold", 25);
    h.signal("set", "lives", 3);
    h.signal("fly", 2.5);          // no such command: the handler says so, the run goes on
    ex.run_until_idle();

    for (const std::string& line : h.query<std::vector<std::string>>("log")) std::cout << "log: " << line << "\n";
    std::cout << "var gold = " << h.query<int>("var", std::string("gold")) << "\n";
    std::cout << "count = " << h.query<int>("count") << "\n";
    try {
        (void)h.query<std::string>("var", std::string("gold"));  // the dynamic query returns int
    } catch (const coflow::argument_mismatch& e) {
        std::cout << "error: " << e.what() << "\n";
    }

    h.signal("quit");  // named: the named handler takes it
    ex.run_until_idle();
    std::cout << "console ran " << h.result<int>() << " commands\n";

    auto strict = rt.start_workflow(&strict_console::run, {.id = "strict-1"});
    try {
        strict.signal("set", "gold", 1);
    } catch (const coflow::unknown_signal& e) {
        std::cout << "error: " << e.what() << "\n";
    }
    strict.signal(&strict_console::quit);
    ex.run_until_idle();
    std::cout << "strict console: " << coflow::to_string(strict.status()) << "\n";
}
