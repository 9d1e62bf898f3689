// expect: workflow_handle<T> needs T to be a workflow class
// A typed handle is for a class with a definition naming its run method.
#include <coflow/coflow.hpp>

class plain {
public:
    coflow::workflow<int> run() { co_return 1; }
};

int main() {
    coflow::deterministic_executor ex;
    coflow::runtime rt{ex};
    auto h = rt.get_workflow_handle_for<plain>("plain-1");  // misuse: plain has no definition
    return h.is_closed() ? 0 : 1;
}
