#!/bin/bash
# make test's last step: every test, then a report — each suite's time, how many tests ran and
# how many were skipped (and why), and the total time. Exits with the tests' status.
# Two phases: everything but the VM guests (in parallel), then the guests alone, one at a time.
# A guest is a whole machine under software emulation on this machine's two cores: beside the
# other suites, or another guest, its clock-driven steps (a camera's frames, a daemon's
# real-time replay) fell seconds behind.
set -o pipefail
swift=${SWIFT:-swift}
here=$(dirname "$0")
guests='VMTests|theServiceUnderRealSystemdAndUdev'
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0
start=$(date +%s)
"$swift" test --skip-build --skip "$guests" "$@" 2>&1 | tee "$logs/1" || status=1
mid=$(date +%s)
"$swift" test --skip-build --no-parallel --filter "$guests" "$@" 2>&1 | tee "$logs/2" || status=1
end=$(date +%s)
"${PYTHON:-python3}" "$here/test_report.py" "everything but the VM guests" "$logs/1" $(( mid - start )) \
  "the VM guests, alone" "$logs/2" $(( end - mid ))
echo "total time of the test run: $(( end - start )) s"
exit $status
