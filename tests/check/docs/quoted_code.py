#!/usr/bin/env python3
"""Checks that the code the documentation quotes from the examples is
the examples' code: each fenced block right after a line

    <!-- quoted from examples/NAME -->

in README.md or docs/*.md must appear in examples/NAME verbatim (the
examples themselves run as tests, tests/check/examples/).

Usage: quoted_code.py SOURCE_ROOT
"""

import glob
import os
import re
import sys

MARK = re.compile(r"<!-- quoted from (examples/[\w.-]+) -->")


def quoted_blocks(path):
    """(line number, example path, code) for every quoted block."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = MARK.search(lines[i])
        i += 1
        if not m:
            continue
        while i < len(lines) and not lines[i].startswith("```"):
            i += 1
        start = i + 1
        end = start
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        yield start, m.group(1), "\n".join(lines[start:end])
        i = end + 1


def main():
    root = sys.argv[1]
    pages = [os.path.join(root, "README.md")] + sorted(
        glob.glob(os.path.join(root, "docs", "*.md")))
    failures = checked = 0
    for page in pages:
        for line, example, code in quoted_blocks(page):
            checked += 1
            where = "%s:%d" % (os.path.relpath(page, root), line)
            path = os.path.join(root, example)
            if not os.path.exists(path):
                print("FAIL: %s quotes %s, which does not exist" %
                      (where, example))
                failures += 1
            elif not code.strip() or code not in open(
                    path, encoding="utf-8").read():
                print("FAIL: %s: the block is not in %s as it is" %
                      (where, example))
                failures += 1
            else:
                print("ok: %s is in %s" % (where, example))
    if checked == 0:
        sys.exit("no quoted block found: the marks are gone")
    if failures:
        sys.exit("%d quoted block(s) differ from the examples" % failures)


if __name__ == "__main__":
    main()
