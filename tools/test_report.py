"""Summarises `swift test` logs (Swift Testing's output), one per phase of tools/run-tests.sh:
each suite's time, tests run and skipped (with the reasons), failures, and each phase's wall
time. Usage: test_report.py NAME LOG SECONDS [NAME LOG SECONDS]..."""
import re
import sys
from collections import Counter


def report(name, log, wall):
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

    print(f"\n== test report, {name}: each suite, done after (s from the start of this phase's parallel run) ==")
    width = max([len(n) for _, n, _ in suites] + [5])
    for seconds, suite, result in sorted(suites, reverse=True):
        print(f"  {suite:<{width}}  {seconds:8.1f} s  {result}")
    n_skipped = sum(skipped.values())
    if ran is not None:
        print(f"{ran} tests: {ran - n_skipped} ran, {n_skipped} skipped")
    for reason, n in skipped.items():
        print(f"  skipped {n}: {reason}")
    if failed:
        print("failed: " + ", ".join(sorted(set(failed))))
    print(f"time of this phase: {wall} s" + (f" ({total_line})" if total_line else ""))


args = sys.argv[1:]
if not args or len(args) % 3:
    sys.exit("usage: test_report.py NAME LOG SECONDS [NAME LOG SECONDS]...")
for i in range(0, len(args), 3):
    report(args[i], args[i + 1], int(args[i + 2]))
