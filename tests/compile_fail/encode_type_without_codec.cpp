// expect: coflow: this type has no codec, so it cannot be saved: specialise coflow::codec<T>
// Saving a value needs a codec for its type (and, for a container, for its elements): no silent skip.
#include <coflow/coflow.hpp>

#include <string>
#include <vector>

struct sprite {
    int frame;
};

int main() {
    std::vector<sprite> sprites{{1}, {2}};
    std::string saved = coflow::encode(sprites);  // misuse: sprite has no coflow::codec<sprite>
    return static_cast<int>(saved.size());
}
