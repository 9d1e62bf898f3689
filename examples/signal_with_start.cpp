// signal_with_start.cpp: Temporal's signal-with-start in coflow. A client that does not know whether a
// customer's cart workflow exists yet adds an item with one call: start_workflow with .start_signal. If
// the id is not running, a new run starts and handles the signal before the first line of its body;
// if it is running, the signal goes to that run and nothing new starts.
#include <coflow/coflow.hpp>

#include <iostream>
#include <string>
#include <utility>
#include <vector>

class cart {
public:
    coflow::workflow<std::vector<std::string>> run(std::string customer) {
        body_started_ = true;
        std::cout << "  [cart] body's first line: cart of " << customer << " has " << items_.size() << " item(s)\n";
        co_await coflow::wait_condition([&] { return checked_out_; });
        std::cout << "  [cart] checked out with " << items_.size() << " item(s)\n";
        co_return items_;
    }

    void add_item(std::string item, int quantity) {
        std::cout << "  [cart] add_item(" << item << ", " << quantity
                  << "), body started: " << (body_started_ ? "yes" : "no") << '\n';
        items_.push_back(std::to_string(quantity) + " x " + item);
    }
    void checkout() { checked_out_ = true; }

    std::vector<std::string> items() const { return items_; }

private:
    std::vector<std::string> items_;
    bool body_started_ = false;
    bool checked_out_ = false;

public:
    static constexpr auto definition = coflow::define<cart>("cart")
        .run(&cart::run)
        .signal("add_item", &cart::add_item)
        .signal("checkout", &cart::checkout)
        .query("items", &cart::items);
};

// What the client calls for every "add to cart" click. The start signal goes by name, its arguments
// packed by coflow::args and checked against add_item's (std::string, int) before anything starts.
coflow::workflow_handle<cart> add_to_cart(coflow::runtime& rt, const std::string& customer, std::string item,
                                          int quantity) {
    return rt.start_workflow(&cart::run, customer,
                             {.id = "cart-7",
                              .start_signal = "add_item",
                              .start_signal_args = coflow::args(std::move(item), quantity)});
}

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};

    // No cart-7 yet: this starts it, with the signal queued ahead of the body.
    auto first = add_to_cart(rt, "Ann", "apple", 2);
    const std::string first_run = first.describe().run_id;
    std::cout << "1st signal-with-start: started run " << first_run << '\n';
    ex.run_until_idle();

    // cart-7 is running: the same call only signals it. Its run argument ("Bob") is not used.
    auto second = add_to_cart(rt, "Bob", "pear", 3);
    const std::string second_run = second.describe().run_id;
    std::cout << "2nd signal-with-start: signalled run " << second_run
              << (second_run == first_run ? " (the same run)" : " (a NEW run)") << '\n';
    ex.run_until_idle();
    std::cout << "cart-7 holds " << second.query(&cart::items).size() << " line(s)\n";

    // Once the run has closed, signal-with-start starts a new run under the same id (reuse policy
    // allow_duplicate, the default), again with the signal handled first.
    second.signal(&cart::checkout);
    ex.run_until_idle();
    std::cout << "cart-7 is " << coflow::to_string(first.status()) << ", result:";
    for (const std::string& line : first.result()) std::cout << ' ' << line << ';';
    std::cout << '\n';
    auto third = add_to_cart(rt, "Ann", "plum", 1);
    const std::string third_run = third.describe().run_id;
    std::cout << "3rd signal-with-start: started run " << third_run
              << (third_run == first_run ? " (the same run)" : " (a new run)") << '\n';
    ex.run_until_idle();
    std::cout << "cart-7 holds " << third.query(&cart::items).size() << " line(s)\n";
}
