// write_exports.cpp: writes the exports of every scenario in export_scenarios.hpp to a directory, as
// <scenario>.jsonl (JSON lines of all its runs) and <scenario>.trace.json, for check_exports.py.
#include <cstdio>
#include <fstream>
#include <string>

#include "export_scenarios.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s <output directory>\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    for (const export_scenarios::exports& e : export_scenarios::all()) {
        for (const auto& [suffix, text] : {std::pair{".jsonl", &e.json_lines}, std::pair{".trace.json", &e.trace}}) {
            const std::string path = dir + "/" + e.name + suffix;
            std::ofstream f(path, std::ios::binary);
            f << *text;
            if (!f) {
                std::fprintf(stderr, "cannot write %s\n", path.c_str());
                return 1;
            }
            std::printf("%s\n", path.c_str());
        }
    }
}
