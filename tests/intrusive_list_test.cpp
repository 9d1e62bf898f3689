// detail::compact_list, a FIFO list headed by one pointer (a run record's conditions and suspended waits):
// order, removal of the first, a middle and the last element, and removal during for_each.
#include <coflow/detail/intrusive_list.hpp>

#include <vector>

#include "coflow_catch.hpp"

namespace {

struct tag {};
struct item : coflow::detail::list_hook<tag> {
    explicit item(int v) : value(v) {}
    int value;
};
using list = coflow::detail::compact_list<item, tag>;

static_assert(sizeof(list) == sizeof(void*));

std::vector<int> values(list& l) {
    std::vector<int> out;
    l.for_each([&](item& i) { out.push_back(i.value); });
    return out;
}

}  // namespace

TEST_CASE("issue 19: a compact_list keeps its order through removals anywhere", "[intrusive_list][regression]") {
    item a(1), b(2), c(3), d(4);
    list l;
    CHECK(l.empty());
    CHECK(values(l).empty());
    for (item* i : {&a, &b, &c, &d}) l.push_back(*i);
    CHECK(values(l) == std::vector<int>{1, 2, 3, 4});
    l.remove(a);  // the first: the head moves
    CHECK(values(l) == std::vector<int>{2, 3, 4});
    l.remove(c);  // a middle one
    CHECK(values(l) == std::vector<int>{2, 4});
    l.remove(d);  // the last
    CHECK(values(l) == std::vector<int>{2});
    l.remove(d);  // not linked: nothing happens
    l.push_back(a);
    CHECK(values(l) == std::vector<int>{2, 1});
    l.remove(b);
    l.remove(a);
    CHECK(l.empty());
    CHECK(!a.linked());
    CHECK(!b.linked());
}

TEST_CASE("issue 19: a compact_list's for_each may remove the element it is given", "[intrusive_list][regression]") {
    for (int drop = 0; drop < 16; ++drop) {  // each subset of four, removed as they are visited
        CAPTURE(drop);
        item items[4] = {item(0), item(1), item(2), item(3)};
        list l;
        for (item& i : items) l.push_back(i);
        std::vector<int> seen;
        l.for_each([&](item& i) {
            seen.push_back(i.value);
            if (drop & (1 << i.value)) l.remove(i);
        });
        CHECK(seen == std::vector<int>{0, 1, 2, 3});
        std::vector<int> kept;
        for (int v = 0; v < 4; ++v)
            if (!(drop & (1 << v))) kept.push_back(v);
        CHECK(values(l) == kept);
        l.clear();
        for (const item& i : items) CHECK(!i.linked());
    }
}
