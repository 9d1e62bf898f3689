// hello_query.cpp: Temporal's "Querying your workflows" in coflow. A query reads a workflow's state
// synchronously, on a running or a closed run, and never changes it.
#include <coflow/coflow.hpp>

#include <chrono>
#include <iostream>
#include <string>
#include <utility>

using namespace std::chrono_literals;

class greeting_workflow {
public:
    // @workflow.run: says hello, waits two (virtual) seconds, says goodbye.
    coflow::workflow<std::string> run(std::string name) {
        name_ = std::move(name);
        co_await coflow::sleep(2s);
        leaving_ = true;
        co_return greeting();
    }

    // @workflow.signal: signals change state; queries never do.
    void set_language(std::string language) { language_ = std::move(language); }

    // @workflow.query def greeting(self) -> str: a const member function returning a value. `const` is
    // the rule: a query reads, it cannot change the workflow (and it cannot co_await).
    std::string greeting() const { return greeting_in(language_); }

    // A query with a parameter.
    std::string greeting_in(std::string language) const {
        std::string word = leaving_ ? "Goodbye" : "Hello";
        if (language == "fr") word = leaving_ ? "Au revoir" : "Bonjour";
        if (language == "de") word = leaving_ ? "Auf Wiedersehen" : "Hallo";
        return word + ", " + name_ + "!";
    }

    // Public but not a registered query: only a callable query (below) can read it.
    const std::string& language() const { return language_; }

    static constexpr auto definition = coflow::define<greeting_workflow>("greeting")
        .run(&greeting_workflow::run)
        .signal("set_language", &greeting_workflow::set_language)
        .query("greeting", &greeting_workflow::greeting)
        .query("greeting_in", &greeting_workflow::greeting_in);

private:
    std::string name_;
    std::string language_ = "en";
    bool leaving_ = false;
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto seconds = [&] {  // the virtual clock, in whole seconds since the executor was made
        return std::chrono::duration_cast<std::chrono::seconds>(ex.now().time_since_epoch()).count();
    };

    auto h = rt.start_workflow(&greeting_workflow::run, "Ann", {.id = "greeting-1"});
    ex.advance(1s);  // the body starts and sleeps until t=2s: the run is open
    std::cout << "t=" << seconds() << "s greeting-1 is " << coflow::to_string(h.status()) << '\n';

    // handle.query(GreetingWorkflow.greeting): typed, by member pointer, answered now (no await).
    std::cout << "  greeting                  -> " << h.query(&greeting_workflow::greeting) << '\n';
    // With an argument: converted to the handler's parameter type, like a function call.
    std::cout << "  greeting_in(fr)           -> " << h.query(&greeting_workflow::greeting_in, "fr") << '\n';

    // get_workflow_handle(id) knows no type: name the query and its result type. The name, the
    // argument types and the result type are checked at run time (a string literal is a std::string).
    auto by_name = rt.get_workflow_handle("greeting-1");
    std::cout << "  by name: greeting_in(de)  -> " << by_name.query<std::string>("greeting_in", "de") << '\n';

    // An ad-hoc query on a typed handle: any callable taking `const greeting_workflow&`. The language is
    // still "en": asking greeting_in(fr) changed nothing.
    auto language = [](const greeting_workflow& w) { return w.language(); };
    std::cout << "  callable: w.language()    -> " << h.query(language) << '\n';
    // Queries run no workflow code and record nothing: they gave the executor no work.
    std::cout << "  work queued by queries    -> " << ex.ready_count() << '\n';

    // A signal is accepted now but delivered when the executor runs: until then, queries see the old
    // state (Temporal would deliver it before answering; coflow's queries never run workflow code).
    h.signal(&greeting_workflow::set_language, "fr");
    std::cout << "sent set_language(fr), not yet delivered\n";
    std::cout << "  greeting                  -> " << h.query(&greeting_workflow::greeting) << '\n';

    ex.run_until_idle();  // delivers the signal, then the timer fires: the body says goodbye and returns
    std::cout << "t=" << seconds() << "s greeting-1 is " << coflow::to_string(h.status())
              << ", result: " << h.result() << '\n';
    // A closed run keeps its object, so it can still be queried (until its id is reused or forgotten).
    std::cout << "  by name: greeting         -> " << by_name.query<std::string>("greeting") << '\n';
    std::cout << "  greeting_in(en)           -> " << h.query(&greeting_workflow::greeting_in, "en") << '\n';

    // An unknown name throws unknown_query, which lists the queries the workflow type has.
    try {
        (void)by_name.query<std::string>("farewell");
    } catch (const coflow::unknown_query& e) {
        std::cout << "  by name: farewell         -> " << e.what() << '\n';
    }
}
