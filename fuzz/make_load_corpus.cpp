// make_load_corpus.cpp: writes the seed corpus of fuzz_load (fuzz/corpus_load/): real saves of the scripted
// programs in load_workflows.hpp, each checked to load and to save again the same text, and a few programs
// in fuzz_load's own input format (first byte 0x01; see read_op in fuzz_load.cpp).
//
//   make_load_corpus <dir>           writes <dir>/<seed name> (a save) and <seed name>.journal for each seed
//   make_load_corpus --check <dir>   fails (exit 1) when a file in <dir> differs from what it would write
//
// Build: the CMake target coflow_make_load_corpus (with COFLOW_BUILD_FUZZ=ON), or
//   g++ -std=c++20 -I include fuzz/make_load_corpus.cpp -o make_load_corpus
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "load_workflows.hpp"

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "<missing>";
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// fuzz_load's operations (read_op): kind, pick (id k<pick % 4>, other id k<(pick >> 2) % 4>, flags), a 16-bit
// value, then a text (kinds 3 and 5) or a double (kind 4).
struct program {
    std::string bytes = "\x01";
    program& op(int kind, int pick, int v = 0, std::string text = {}) {
        bytes += static_cast<char>(kind);
        bytes += static_cast<char>(pick);
        bytes += static_cast<char>((v >> 8) & 0xff);
        bytes += static_cast<char>(v & 0xff);
        if (kind == 3 || kind == 5) {
            bytes += static_cast<char>(text.size());
            bytes += text;
        }
        if (kind == 4) bytes += std::string("\x40\x04\0\0\0\0\0\0", 8);  // 2.5
        return *this;
    }
};

std::vector<std::pair<std::string, std::string>> programs() {
    enum { start = 0, add = 2, line = 3, real = 4, other = 5, nap = 6, spawn = 7, poke = 8, end = 9, slow = 10,
           bump = 11, stop = 12, advance = 13, drain = 14, save = 15 };
    return {
        {"program_signals", program{}.op(start, 0, 5).op(add, 0, -3).op(line, 0, 0, "ab").op(real, 0).op(drain, 0)
                                .op(save, 0).op(add, 0, 4).op(other, 0x10, 2, "pq").op(end, 0x10).op(drain, 0).bytes},
        {"program_children", program{}.op(start, 1, 1).op(spawn, 1, 300).op(nap, 1, 900).op(line, 1, 0, "x")
                                 .op(advance, 0, 100).op(save, 0).op(advance, 0, 500).op(spawn, 1, 50)
                                 .op(advance, 0, 1000).op(end, 0x11).bytes},
        {"program_mixed", program{}.op(start, 0).op(start, 1, 7).op(start, 0x80 | 2, 400).op(poke, 0 | (1 << 2), 9)
                              .op(slow, 1, 250).op(bump, 1, 3).op(bump, 1, -1).op(advance, 0, 100).op(save, 0)
                              .op(stop, 0x80 | 1).op(stop, 0, 0).op(end, 0x20 | 3).op(start, 3).op(end, 0x03)
                              .op(advance, 0, 2000).op(save, 0).bytes},
        {"program_damaged", program{}.op(start, 0, 5).op(add, 0, 6).op(drain, 0).op(save, 0x21).bytes + "\x01\x00(" +
                                "\x00\x40:"},
    };
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

        // The same program journaled from its start (journal.hpp): a seed whose records follow a save. Without
        // histories in memory, so that named signals' events are the short 'a' and 'h' records.
        const std::string journal_path =
            (std::filesystem::temp_directory_path() / ("coflow_corpus_" + std::string(s.name))).string();
        std::filesystem::remove(journal_path);
        {
            coflow::deterministic_executor ex3;
            coflow::runtime rt3(ex3, load_fuzz::recording());
            coflow::journal journal(rt3, journal_path,
                                    {.sync = coflow::sync_policy::flush, .histories_in_memory = false},
                                    load_fuzz::keeper::definition, load_fuzz::helper::definition);
            s.program(ex3, rt3);
            ex3.advance(std::chrono::seconds(0));
        }
        const std::string journal_text = read_file(journal_path);
        std::filesystem::remove(journal_path);

        for (const auto& [path, content] : {std::pair{dir + "/" + s.name, text},
                                            std::pair{dir + "/" + s.name + ".journal", journal_text}}) {
            if (check) {
                if (read_file(path) != content) {
                    std::fprintf(stderr, "make_load_corpus: %s is stale: run make_load_corpus %s\n", path.c_str(),
                                 dir.c_str());
                    ++failures;
                }
            } else {
                std::ofstream out(path, std::ios::binary);
                out << content;
                if (!out) {
                    std::fprintf(stderr, "make_load_corpus: cannot write %s\n", path.c_str());
                    ++failures;
                }
            }
        }
    }
    for (const auto& [name, bytes] : programs()) {
        const std::string path = dir + "/" + name;
        if (check) {
            if (read_file(path) != bytes) {
                std::fprintf(stderr, "make_load_corpus: %s is stale: run make_load_corpus %s\n", path.c_str(),
                             dir.c_str());
                ++failures;
            }
        } else if (!(std::ofstream(path, std::ios::binary) << bytes)) {
            std::fprintf(stderr, "make_load_corpus: cannot write %s\n", path.c_str());
            ++failures;
        }
    }
    return failures == 0 ? 0 : 1;
}
