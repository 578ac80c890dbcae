#!/bin/sh
# Runs the Swift benchmarks and the numpy + OpenCV baseline on the same 640×512 frames, in one
# run, and prints both in milliseconds with their ratios. Usage: Benchmarks/run.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
work="$here/.build-bench-data"
mkdir -p "$work"

swift build -c release --package-path "$root" --product canthus --static-swift-stdlib >/dev/null  # as make release
canthus="$(swift build -c release --package-path "$root" --show-bin-path)/canthus"
# The stages run on a crowd crossing a 640×512 core (the crowd-640 preset, fixed seed); the whole
# IR stage on 1, 10 and 50 people in view at once (scenes/people-N.yaml).
"$canthus" simulate --preset crowd-640 --seed 1 --out "$work/crowd-640.canthus" >/dev/null
for n in 1 10 50; do
    "$canthus" simulate --scenario "$here/scenes/people-$n.yaml" --seed 1 --out "$work/people-$n.canthus" >/dev/null
done

echo "== numpy + OpenCV baseline (one thread)"
python3 "$here/baseline.py" "$work" > "$work/baseline.json"
cat "$work/baseline.json"

echo "== Swift (ordo-one/benchmark)"
cd "$here"
BENCH_DIR="$work" swift package --allow-writing-to-package-directory benchmark \
    --format jmh --path "$work" --no-progress
BENCH_DIR="$work" swift package benchmark --no-progress 2>/dev/null | tail -n +1 > "$work/swift.txt" || true
cat "$work/swift.txt"

python3 "$here/ratios.py" "$work"

python3 "$here/daemon.py" "$canthus" "$work"
python3 "$here/store.py" "$canthus" "$work"
python3 "$here/alarms.py" "$canthus" "$work"
