#!/usr/bin/env python3
"""Check that include/coflow/coflow.hpp includes every public header of coflow, and nothing else.

Public headers are the .hpp files under include/coflow/, except detail/, adapters/ (optional headers that need
another library) and coflow.hpp itself. The umbrella's
`#include <coflow/...>` lines must name each of them exactly once, sorted. Other includes are ignored.
Exit 0 when it does, 1 (with what to fix) when it does not. Standard library only.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER_DIR = ROOT / "include" / "coflow"
UMBRELLA = HEADER_DIR / "coflow.hpp"
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"](coflow/[^>"]+)[>"]', re.MULTILINE)


def main() -> int:
    public = sorted(
        "coflow/" + path.relative_to(HEADER_DIR).as_posix()
        for path in HEADER_DIR.rglob("*.hpp")
        if path != UMBRELLA and path.relative_to(HEADER_DIR).parts[0] not in ("detail", "adapters")
    )
    included = INCLUDE_RE.findall(UMBRELLA.read_text(encoding="utf-8"))

    problems = []
    missing = [h for h in public if h not in included]
    extra = sorted({h for h in included if h not in public})
    duplicates = sorted({h for h in included if included.count(h) > 1})
    if missing:
        problems.append("missing: " + ", ".join(missing))
    if extra:
        problems.append("not a public header (extra): " + ", ".join(extra))
    if duplicates:
        problems.append("included more than once: " + ", ".join(duplicates))
    if included != sorted(included):
        problems.append("not sorted")

    if problems:
        print("include/coflow/coflow.hpp must include every public header once, sorted, and nothing else:",
              file=sys.stderr)
        for problem in problems:
            print("  " + problem, file=sys.stderr)
        print("its coflow includes should be exactly:", file=sys.stderr)
        for header in public:
            print(f"#include <{header}>", file=sys.stderr)
        return 1
    print(f"include/coflow/coflow.hpp includes all {len(public)} public header(s), sorted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
