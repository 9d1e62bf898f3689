// tests/noexcept/error_handler_check.cpp: built with -fno-exceptions -fno-rtti. Signals an unknown name to a
// running workflow, an error that would throw unknown_signal, and shows where it goes without exceptions:
//   error_handler_check custom     a custom handler prints "handled: <what()>" and ends the process with 0
//   error_handler_check default    the default handler prints "coflow: fatal error: <what()>" and aborts
//   error_handler_check returning  a handler that returns: coflow aborts anyway
// ctest checks the output and how the process ended (tests/CMakeLists.txt). "not reached" means it went on.
#include <coflow/coflow.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string_view>

static_assert(!coflow::detail::exceptions_enabled, "build this check with -fno-exceptions");

namespace {

class door {
public:
    coflow::workflow<void> run() { co_await coflow::wait_condition([this] { return opened_; }); }
    void open() { opened_ = true; }
    static constexpr auto definition = coflow::define<door>("door").run(&door::run).signal("open", &door::open);

private:
    bool opened_ = false;
};

void print_and_exit(const std::exception& e) noexcept {
    std::printf("handled: %s\n", e.what());
    std::fflush(stdout);
    std::_Exit(0);
}

void print_and_return(const std::exception& e) noexcept {
    std::fprintf(stderr, "handler returned after: %s\n", e.what());
}

}  // namespace

int main(int argc, char** argv) {
    const std::string_view mode = argc > 1 ? argv[1] : "";
    if (mode == "custom") coflow::set_error_handler(&print_and_exit);
    else if (mode == "returning") coflow::set_error_handler(&print_and_return);
    else if (mode != "default") {
        std::fprintf(stderr, "usage: error_handler_check custom|default|returning\n");
        return 2;
    }

    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    rt.start_workflow(&door::run, {.id = "front-door"});
    ex.run_until_idle();
    rt.get_workflow_handle("front-door").signal("knock_knock");  // not a signal of door: unknown_signal
    std::printf("not reached\n");
    return 1;
}
