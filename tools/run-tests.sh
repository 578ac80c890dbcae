#!/bin/bash
# make test's last step: every test, then a report — each suite's time, how many tests ran and
# how many were skipped (and why), and the total time. Exits with the tests' status.
set -o pipefail
swift=${SWIFT:-swift}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
"$swift" test --skip-build "$@" 2>&1 | tee "$log"
status=$?
"${PYTHON:-python3}" "$(dirname "$0")/test_report.py" "$log" $(( $(date +%s) - start ))
exit $status
