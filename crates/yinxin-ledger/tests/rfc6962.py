#!/usr/bin/env python3
"""An independent RFC 6962 section 2.1 implementation, by the RFC's recursive definitions
(MTH, PATH, PROOF/SUBPROOF), for yinxin-ledger's tests (tests/ledger.rs runs it).

stdin: one leaf per line, hex. stdout: for every size n, every index m < n and every
0 < m <= n, lines
    root <n> <hex>
    inclusion <m> <n> <hex,hex,...>
    consistency <m> <n> <hex,hex,...>
"""
import hashlib
import sys


def h(b):
    return hashlib.sha256(b).digest()


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d):
    if len(d) == 0:
        return h(b"")
    if len(d) == 1:
        return h(b"\x00" + d[0])
    k = split(len(d))
    return h(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m, d):
    if len(d) <= 1:
        return []
    k = split(len(d))
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = split(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def main():
    leaves = [bytes.fromhex(line.strip()) for line in sys.stdin]
    out = []
    for n in range(1, len(leaves) + 1):
        d = leaves[:n]
        out.append("root %d %s" % (n, mth(d).hex()))
        for m in range(n):
            out.append("inclusion %d %d %s" % (m, n, ",".join(x.hex() for x in path(m, d))))
        for m in range(1, n + 1):
            out.append("consistency %d %d %s" % (m, n, ",".join(x.hex() for x in subproof(m, d, True))))
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
