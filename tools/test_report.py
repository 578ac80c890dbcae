"""Summarises a `swift test` log (Swift Testing's output): each suite's time, tests run and
skipped (with the reasons), failures, and the wall time. Used by tools/run-tests.sh."""
import re
import sys
from collections import Counter

log, wall = sys.argv[1], int(sys.argv[2])
suites, skipped, failed = [], Counter(), []
ran = total_line = None
for line in open(log, encoding="utf-8", errors="replace"):
    m = re.search(r"Suite (\S+) (passed|failed) after ([0-9.]+) seconds", line)
    if m:
        suites.append((float(m.group(3)), m.group(1), m.group(2)))
    m = re.search(r"Test (\S+?)(\(.*\))? skipped: \"?(.*?)\"?$", line.strip())
    if m and "➜" in line:
        skipped[m.group(3)] += 1
    m = re.search(r"✘ Test (\S+?)\(", line)
    if m and "recorded an issue" not in line:
        failed.append(m.group(1))
    m = re.search(r"Test run with (\d+) tests? in (\d+) suites? (passed|failed) after ([0-9.]+) seconds", line)
    if m:
        ran, total_line = int(m.group(1)), line.strip()

print("\n== test report: each suite, done after (s from the start of the parallel run) ==")
width = max([len(n) for _, n, _ in suites] + [5])
for seconds, name, result in sorted(suites, reverse=True):
    print(f"  {name:<{width}}  {seconds:8.1f} s  {result}")  # done after, from the start of the (parallel) run
n_skipped = sum(skipped.values())
if ran is not None:
    print(f"{ran} tests: {ran - n_skipped} ran, {n_skipped} skipped")
for reason, n in skipped.items():
    print(f"  skipped {n}: {reason}")
if failed:
    print("failed: " + ", ".join(sorted(set(failed))))
print(f"total time of the test run: {wall} s" + (f" ({total_line})" if total_line else ""))
