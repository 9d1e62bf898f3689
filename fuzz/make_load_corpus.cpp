// make_load_corpus.cpp: writes the seed corpus of fuzz_load (fuzz/corpus_load/): real saves of the scripted
// programs in load_workflows.hpp, each checked to load and to save again the same text.
//
//   make_load_corpus <dir>           writes <dir>/<seed name> for each seed
//   make_load_corpus --check <dir>   fails (exit 1) when a file in <dir> differs from what it would write
//
// Build: the CMake target coflow_make_load_corpus (with COFLOW_BUILD_FUZZ=ON), or
//   g++ -std=c++20 -I include fuzz/make_load_corpus.cpp -o make_load_corpus
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "load_workflows.hpp"

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "<missing>";
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
    const bool check = argc == 3 && std::string(argv[1]) == "--check";
    if (argc != 2 && !check) {
        std::fprintf(stderr, "usage: make_load_corpus [--check] <dir>\n");
        return 2;
    }
    const std::string dir = argv[argc - 1];
    int failures = 0;
    for (const load_fuzz::seed& s : load_fuzz::seeds()) {
        coflow::deterministic_executor ex;
        coflow::runtime rt(ex, load_fuzz::recording());
        s.program(ex, rt);
        ex.advance(std::chrono::seconds(0));  // a save is made with no work ready
        const std::string text = coflow::save(rt);

        coflow::deterministic_executor ex2;
        coflow::runtime rt2(ex2, load_fuzz::recording());
        load_fuzz::load(rt2, text);
        if (coflow::save(rt2) != text) {
            std::fprintf(stderr, "make_load_corpus: seed %s saves other text once loaded\n", s.name);
            ++failures;
        }

        const std::string path = dir + "/" + s.name;
        if (check) {
            if (read_file(path) != text) {
                std::fprintf(stderr, "make_load_corpus: %s is stale: run make_load_corpus %s\n", path.c_str(),
                             dir.c_str());
                ++failures;
            }
        } else {
            std::ofstream out(path, std::ios::binary);
            out << text;
            if (!out) {
                std::fprintf(stderr, "make_load_corpus: cannot write %s\n", path.c_str());
                ++failures;
            }
        }
    }
    return failures == 0 ? 0 : 1;
}
