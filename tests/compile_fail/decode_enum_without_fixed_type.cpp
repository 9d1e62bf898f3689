// expect: coflow: this enum has no codec: give it a fixed underlying type (enum E : int)
// An enum without a fixed underlying type may not hold every value of that type: reading one from a
// hostile save could produce a value it cannot hold, so it has no built-in codec.
#include <coflow/coflow.hpp>

enum direction { north, east, south, west };  // misuse: no fixed underlying type

int main() {
    return static_cast<int>(coflow::decode<direction>("i1;"));
}
