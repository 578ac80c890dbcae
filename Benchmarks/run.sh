#!/bin/sh
# Runs the Swift benchmarks and the numpy + OpenCV baseline on the same 640×512 frames, in one
# run, and prints both in milliseconds with their ratios. Usage: Benchmarks/run.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work="$here/.build-bench-data"
mkdir -p "$work"

swift build -c release --package-path "$root" --product canthus >/dev/null
canthus="$(swift build -c release --package-path "$root" --show-bin-path)/canthus"
# Ten people crossing a 640×512 core: the crowd-640 preset, fixed seed.
"$canthus" simulate --preset crowd-640 --seed 1 --out "$work/bench-640.canthus" >/dev/null

echo "== numpy + OpenCV baseline (one thread)"
python3 "$here/baseline.py" "$work/bench-640.canthus" > "$work/baseline.json"
cat "$work/baseline.json"

echo "== Swift (ordo-one/benchmark)"
cd "$here"
BENCH_RECORDING="$work/bench-640.canthus" swift package --allow-writing-to-package-directory benchmark \
    --format jmh --path "$work" --no-progress
BENCH_RECORDING="$work/bench-640.canthus" swift package benchmark --no-progress 2>/dev/null | tail -n +1 > "$work/swift.txt" || true
cat "$work/swift.txt"

python3 "$here/ratios.py" "$work"
