#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_by_name (fuzz/corpus/): small programs in the harness's byte format.

Each byte picks an operation, an id or a name from the tables in fuzz_by_name.cpp (reader::id, reader::name),
a type, or a value. Run from anywhere: python3 fuzz/make_corpus.py
"""
import os

NAMES = ["i", "l", "s", "d", "b", "si", "v", "pair", "roll", "end", "x", "slow", "fw", "kill", "spawn", "w",
         "qi", "qs", "qa", "qd", "ql", "qx", "n", "", "I", "i ", "s i", "stop", "get", "total"]
N = {n: i for i, n in enumerate(NAMES)}
NOARGS = bytes([0])


def start(id_, gen=0, tag=b"", policy=0):
    return bytes([0, id_, gen, len(tag)]) + tag + bytes([policy])


def start_sig(id_, name, args, gen=0, tag=b"", policy=0):
    return bytes([1, id_, gen, len(tag)]) + tag + bytes([policy, N[name]]) + args


def start_other(id_):
    return bytes([2, id_])


def start_catchall(id_):  # the workflow with dynamic handlers
    return bytes([12, id_])


def signal(id_, name, args):
    return bytes([3, id_, N[name]]) + args


def query(id_, name, rtype, args):
    return bytes([5, id_, N[name], rtype]) + args


def result(id_, t):
    return bytes([6, id_, t])


def cancel(id_):
    return bytes([7, id_, 1])


def terminate(id_, reason=b"r"):
    return bytes([7, id_, 0, len(reason)]) + reason


def forget(id_):
    return bytes([8, id_])


def run():
    return bytes([10, 0])


def steps(k):
    return bytes([10, 1 + 3 * 32 * (k // 3)])  # step() 1 + how / 32 times


def advance(x):
    return bytes([10, 2 + 3 * x])  # advance((2 + 3x) * 20 ms)


def int_arg(v):
    return bytes([1, 0]) + v.to_bytes(4, "big")


def str_arg(s):
    return bytes([1, 3, len(s)]) + s


def cstr_arg(s):
    return bytes([1, 4, len(s)]) + s


def sv_arg(s):
    return bytes([1, 5, len(s)]) + s


def shape(s, n, which):  # (string, int) / (string, int64) / (string, name)
    return bytes([4, len(s)]) + s + n.to_bytes(4, "big") + bytes([which])


FILES = {
    "start_signal_query": start(0) + signal(0, "i", int_arg(5)) + signal(0, "s", str_arg(b"abc")) + run() +
    query(0, "qi", 1, NOARGS) + query(0, "qs", 0, NOARGS) + signal(0, "end", NOARGS) + run() + result(0, 0),
    "wrong_types": start(1) + signal(1, "i", str_arg(b"x")) + signal(1, "s", sv_arg(b"y")) +
    signal(1, "l", int_arg(3)) + signal(1, "si", shape(b"k", 2, 1)) + signal(1, "si", shape(b"k", 2, 0)) +
    signal(1, "I", NOARGS) + run() + result(1, 1),
    "signal_with_start": start_sig(2, "pair", shape(b"p", 7, 1)) + start_sig(2, "s", cstr_arg(b"again")) +
    start_sig(3, "d", int_arg(1)) + run() + query(2, "ql", 0, NOARGS),
    "continue_as_new": start(0, gen=1, tag=b"t") + signal(0, "pair", shape(b"a", 1, 1)) + signal(0, "roll", NOARGS) +
    signal(0, "pair", shape(b"b", 2, 1)) + steps(3) + signal(0, "roll", NOARGS) + run() + query(0, "qs", 0, NOARGS) +
    signal(0, "end", NOARGS) + run() + result(0, 0),
    "forward_kill_spawn": start(0) + start_other(1) + signal(0, "fw", shape(b"w1", 0, 2)) +
    signal(0, "spawn", str_arg(b"kid")) + signal(0, "kill", str_arg(b"w1")) + signal(0, "slow", int_arg(20)) +
    advance(5) + run() + cancel(0) + run() + result(0, 0) + forget(0) + result(0, 0),
    "dynamic": start_catchall(0) + signal(0, "i", int_arg(5)) + signal(0, "s", str_arg(b"abc")) +
    signal(0, "get", int_arg(3)) + run() + query(0, "total", 1, NOARGS) + query(0, "get", 1, int_arg(2)) +
    query(0, "get", 1, str_arg(b"x")) + query(0, "n", 0, NOARGS) + signal(0, "get", sv_arg(b"y")) + run() +
    result(0, 1) + start_catchall(1) + signal(1, "stop", NOARGS) + run() + result(1, 1),
    "terminate_reuse": start(3) + signal(3, "x", NOARGS) + run() + result(3, 0) + start(3, policy=1) + terminate(3) +
    start(3, policy=2) + query(3, "qx", 1, NOARGS) + forget(3) + start(3),
}

if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in FILES.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
