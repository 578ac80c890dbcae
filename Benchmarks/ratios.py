#!/usr/bin/env python3
"""Prints the Swift benchmarks beside the numpy + OpenCV baseline of the same run, with ratios.

Usage: ratios.py WORKDIR   (holds Current_run.jmh.json from ordo-one/benchmark and baseline.json)
"""
import json
import os
import sys

PAIRS = [
    ("convert_640x512_counts_to_C", "convert_ms", "count→°C, 640×512 (numpy table lookup)"),
    ("label_blobs_640x512", "label_ms", "blobs + stats, 640×512 (OpenCV connectedComponentsWithStats)"),
    *[(f"screen_640x512,_{n}_in_view_(whole_IR_stage)", f"screen_{n}_ms",
       f"whole IR stage, 640×512, {n} in view (numpy + OpenCV)") for n in (1, 10, 50)],
]


def main(work):
    jmh = json.load(open(os.path.join(work, "Current_run.jmh.json")))
    base = json.load(open(os.path.join(work, "baseline.json")))
    swift = {}
    for e in jmh:
        name = e["benchmark"].rsplit(".", 1)[-1]
        sec = e.get("secondaryMetrics", {})
        wall = sec.get("Time (wall clock)", {})
        malloc = sec.get("Malloc (total)", {})
        swift[name] = (wall.get("scorePercentiles", {}).get("50.0"), malloc.get("scorePercentiles", {}).get("50.0"))
    print(f"{'stage':64} {'Swift ms':>9} {'allocs':>7} {'baseline ms':>12} {'ratio':>7}")
    for key, bkey, label in PAIRS:
        us, allocs = swift.get(key, (None, None))
        if us is None:
            print(f"{label:64} {'missing':>9}")
            continue
        ms = us / 1000.0
        b = base[bkey]
        print(f"{label:64} {ms:9.3f} {int(allocs):7d} {b:12.3f} {b / ms:6.1f}×")
    for name, (us, allocs) in sorted(swift.items()):
        if name not in [k for k, _, _ in PAIRS] and us is not None:
            print(f"{name.replace('_', ' '):64} {us / 1000:9.3f} {int(allocs):7d} {'—':>12} {'':>7}")
    print(f"(median per frame; baseline: numpy {base['numpy']}, OpenCV {base['opencv']}, one thread; allocs: mallocs per frame)")


if __name__ == "__main__":
    main(sys.argv[1])
