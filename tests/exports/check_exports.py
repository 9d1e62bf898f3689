#!/usr/bin/env python3
"""Runs write_exports (tests/exports/write_exports.cpp) and checks every file it writes with Python's own
parser, independently of coflow's and of tests/strict_json.hpp:

- the bytes are UTF-8 (strict: no overlong forms, no encoded surrogates such as ED A0 80);
- *.jsonl: each line is one JSON object, *.trace.json: one JSON document, read by json.loads with
  strict=True (no raw control characters in strings) and a parse_constant hook that refuses NaN,
  Infinity and -Infinity; every string, key included, encodes back to UTF-8 (no lone surrogate escapes);
- traces: on each track (pid, tid) every "E" closes the latest open "B" of the same name, no earlier than
  it, and every "B" is closed; the same for async "b"/"e" per (pid, cat, id);
- the hostile scenario's NaN, infinities and ill-formed bytes came out as documented in README.md.

usage: check_exports.py <write_exports executable> <output directory>
"""
import json
import os
import subprocess
import sys


def refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def strings_are_unicode(value, where):
    if isinstance(value, str):
        value.encode("utf-8")  # a lone surrogate (from a \\ud800 escape) raises here
    elif isinstance(value, list):
        for v in value:
            strings_are_unicode(v, where)
    elif isinstance(value, dict):
        for k, v in value.items():
            strings_are_unicode(k, where)
            strings_are_unicode(v, where)


def load(text, where):
    value = json.loads(text, strict=True, parse_constant=refuse_constant)
    strings_are_unicode(value, where)
    return value


def check_nesting(events, where):
    stacks = {}
    for n, e in enumerate(events):
        ph = e["ph"]
        if ph in ("B", "E"):
            key = ("sync", e["pid"], e.get("tid"))
        elif ph in ("b", "e"):
            key = ("async", e["pid"], e.get("cat"), e["id"])
        else:
            continue
        stack = stacks.setdefault(key, [])
        if ph in ("B", "b"):
            stack.append((e["name"], e["ts"]))
            continue
        if not stack:
            raise AssertionError(f"{where}: event {n}: {ph} {e['name']!r} closes nothing")
        name, ts = stack.pop()
        if name != e["name"]:
            raise AssertionError(f"{where}: event {n}: {ph} {e['name']!r} closes {name!r}")
        if e["ts"] < ts:
            raise AssertionError(f"{where}: event {n}: {ph} {e['name']!r} ends before it began")
    for key, stack in stacks.items():
        if stack:
            raise AssertionError(f"{where}: {stack[-1][0]!r} on {key} is never closed")


def main():
    exe, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    files = subprocess.run([exe, out_dir], check=True, capture_output=True, text=True).stdout.split()
    if len(files) < 12:
        raise AssertionError(f"write_exports wrote {len(files)} files, expected 12 or more")
    for path in files:
        data = open(path, "rb").read()
        text = data.decode("utf-8", errors="strict")
        if path.endswith(".jsonl"):
            lines = text.split("\n")
            if lines[-1] != "" or len(lines) < 2:
                raise AssertionError(f"{path}: not newline-terminated JSON lines")
            records = [load(line, f"{path}:{i + 1}") for i, line in enumerate(lines[:-1])]
            for r in records:
                if list(r) != ["workflow_id", "run_id", "index", "time_ns", "event", "name", "args"]:
                    raise AssertionError(f"{path}: fields {list(r)}")
            if path.endswith("hostile_text.jsonl"):
                values = [a for r in records for a in r["args"]]
                for expected in ("NaN", "Infinity", "-Infinity"):
                    if expected not in values:
                        raise AssertionError(f"{path}: no {expected!r} argument")
                if "\ufffd" not in records[0]["workflow_id"]:
                    raise AssertionError(f"{path}: ill-formed bytes did not become U+FFFD")
                # Each ill-formed sequence became U+FFFD exactly as Python's own decoder replaces it.
                raw = (b"sink \x80|\xC0\xAF|\xED\xA0\x80|\xE2\x82|\xF8\xFF\xFE|\x01\x1F\x7F|\"q\"|\\|\t\n\r|"
                       b"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80|\xF4\x90\x80\x80|\xE2\x82")
                if records[0]["workflow_id"] != raw.decode("utf-8", errors="replace"):
                    raise AssertionError(f"{path}: {records[0]['workflow_id']!r}")
        else:
            doc = load(text, path)
            check_nesting(doc["traceEvents"], path)
        print(f"ok {path}")


if __name__ == "__main__":
    main()
