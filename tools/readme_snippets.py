#!/usr/bin/env python3
"""Extract the complete programs from README.md so they can be compiled and run as tests.

    python3 tools/readme_snippets.py OUTDIR [--readme README.md]

Each fenced ```cpp (or ```c++) block that contains `int main` becomes OUTDIR/readme_snippet_<n>.cpp, n counting
such blocks from 1 in README order; other blocks are ignored. A #line directive maps diagnostics back to the
README. Files are rewritten only when their content changes, and stale readme_snippet_*.cpp files are removed.
Prints the path of every snippet file, one per line. Standard library only.
"""

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE_OPEN_RE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)")
CPP_INFO = {"cpp", "c++", "cxx"}
MAIN_RE = re.compile(r"\bint\s+main\s*\(")


def blocks(text: str):
    """Yield (first_line_number, info, body) for each fenced code block."""
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        match = FENCE_OPEN_RE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, fence, info = len(match.group(1)), match.group(2), match.group(3).lower()
        close_re = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
        body, start = [], i + 2
        i += 1
        while i < len(lines) and not close_re.match(lines[i]):
            line = lines[i]
            body.append(line[min(indent, len(line) - len(line.lstrip(" "))):])
            i += 1
        i += 1  # skip the closing fence
        yield start, info, "\n".join(body) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    args = parser.parse_args()

    readme = args.readme.resolve()
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    outdir = args.outdir.resolve()
    outdir.mkdir(parents=True, exist_ok=True)

    written = []
    for start, info, body in blocks(text):
        if info not in CPP_INFO or not MAIN_RE.search(body):
            continue
        path = outdir / f"readme_snippet_{len(written) + 1}.cpp"
        content = f'#line {start} "{readme.as_posix()}"\n{body}'
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
        written.append(path)

    for stale in outdir.glob("readme_snippet_*.cpp"):
        if stale not in written:
            stale.unlink()
    for path in written:
        print(path.as_posix())
    return 0


if __name__ == "__main__":
    sys.exit(main())
