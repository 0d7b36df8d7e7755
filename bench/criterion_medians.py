"""Reads Criterion's text output on stdin and prints one line per benchmark: its name after the
group (`verify/redis` -> `redis`) and its median time in microseconds."""

import re
import sys

UNITS = {"ns": 0.001, "µs": 1.0, "us": 1.0, "ms": 1000.0, "s": 1_000_000.0}
name = None
for line in sys.stdin:
    words = line.split()
    if words and "/" in words[0] and not line.startswith(" "):
        name = words[0].split("/", 1)[1]
    found = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]", line)
    if found and name:
        print(name, f"{float(found.group(1)) * UNITS[found.group(2)]:.1f}")
        name = None
