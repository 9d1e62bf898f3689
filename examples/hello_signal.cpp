// hello_signal.cpp: Temporal's "Signaling your workflows" in coflow. A greeting workflow collects names
// sent as signals and greets each one, until an "exit" signal ends it. Workflow code prints "[workflow]"
// lines to show when it runs (in Temporal, whose workers replay code, you would use workflow.logger).
#include <coflow/coflow.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

using namespace std::chrono_literals;

class greeting_workflow {
public:
    // @workflow.run. It waits with wait_condition, whose predicate is re-tested only after this workflow's
    // own code ran (a signal handler, say). Polling with `while (!ready) co_await coflow::sleep(1s);` would
    // work too, but every sleep is a timer: the busy-wait Temporal discourages (each one is an event and a
    // command in the history).
    coflow::workflow<std::vector<std::string>> run(std::string greeting) {
        std::cout << "  [workflow] body starts, " << names_.size() << " name(s) already queued\n";
        std::vector<std::string> greeted;
        // Done once "exit" came and no async handler is still running (its work would be lost).
        auto done = [&] { return exit_ && coflow::all_handlers_finished(); };
        for (;;) {
            co_await coflow::wait_condition([&] { return !names_.empty() || done(); });
            while (auto name = names_.try_receive()) {  // the channel keeps the order of the signals
                greeted.push_back(greeting + ", " + *name + "!");
                std::cout << "  [workflow] " << greeted.back() << '\n';
            }
            if (done()) co_return greeted;
        }
    }

    // @workflow.signal def exit(self): a plain handler, run to completion when delivered.
    void exit() {
        std::cout << "  [workflow] exit requested, " << names_.size() << " name(s) queued\n";
        exit_ = true;
    }

    // @workflow.signal async def submit_vip(self, name): an async handler may co_await. The 1 s sleep
    // stands in for real work (an activity); it is a delay, not polling. Handlers start in the order
    // their signals were sent, but an async one finishes whenever its awaits do.
    coflow::task<void> submit_vip(std::string name) {
        std::cout << "  [workflow] checking VIP " << name << ", " << names_.size() << " name(s) queued\n";
        co_await coflow::sleep(1s);
        names_.push("dear " + name);
    }

private:
    coflow::signal_channel<std::string> names_;  // "submit_greeting" arguments, in order
    bool exit_ = false;

public:
    // The definition declares each signal's name; its argument types are the target's parameters. A
    // signal_channel member may be the target instead of a handler. It comes after the members it names.
    static constexpr auto definition = coflow::define<greeting_workflow>("greeting")
        .run(&greeting_workflow::run)
        .signal("submit_greeting", &greeting_workflow::names_)
        .signal("submit_vip", &greeting_workflow::submit_vip)
        .signal("exit", &greeting_workflow::exit);
};

int main() {
    coflow::deterministic_executor ex;  // runs everything on this thread, on a virtual clock
    coflow::runtime rt{ex};             // plays Temporal's client and worker
    auto seconds = [&] {  // the virtual clock, in whole seconds since the executor was made
        return std::chrono::duration_cast<std::chrono::seconds>(ex.now().time_since_epoch()).count();
    };

    // client.start_workflow(GreetingWorkflow.run, "Hello", id="greeting-1"). Nothing runs yet: a signal
    // sent now is handled before the body's first line (what start_signal= gives in Temporal).
    auto h = rt.start_workflow(&greeting_workflow::run, "Hello", {.id = "greeting-1"});
    h.signal("submit_greeting", "Ann");  // by name: the channel member is private
    std::cout << "t=" << seconds() << "s started greeting-1, sent submit_greeting(Ann)\n";
    ex.run_until_idle();

    // client.get_workflow_handle("greeting-1"): untyped, knows only the id. Signals go by name and their
    // arguments are checked at run time (a string literal counts as std::string).
    auto by_name = rt.get_workflow_handle("greeting-1");
    by_name.signal("submit_greeting", "Bob");
    by_name.signal("submit_greeting", "Cho");

    // client.get_workflow_handle_for(GreetingWorkflow.run, "greeting-1"): typed, so a signal is named by
    // its member pointer and checked at compile time. (Also spelled get_workflow_handle_for(&T::run, id).)
    auto typed = rt.get_workflow_handle_for<greeting_workflow>("greeting-1");
    typed.signal(&greeting_workflow::submit_vip, "Dee");
    by_name.signal("submit_greeting", "Eve");
    typed.signal(&greeting_workflow::exit);
    std::cout << "t=" << seconds() << "s sent Bob, Cho, VIP Dee, Eve, exit: accepted, not handled yet\n";

    // A by-name signal with the wrong argument types is refused at the sender; nothing is enqueued.
    try {
        by_name.signal("submit_greeting", 42);
    } catch (const coflow::argument_mismatch& e) {
        std::cout << "  refused: " << e.what() << '\n';
    }

    // Signals are delivered in the order sent, across handles, before the body resumes: Bob and Cho
    // enter the channel, Dee's handler starts, Eve enters, exit runs; then the body reads the channel.
    // Dee's async handler finishes at t=1s (the executor jumps its virtual clock), so Dee comes last.
    ex.run_until_idle();
    std::cout << "t=" << seconds() << "s greeting-1 is " << coflow::to_string(h.status()) << ", result:\n";
    for (const std::string& g : h.result()) std::cout << "  " << g << '\n';
}
