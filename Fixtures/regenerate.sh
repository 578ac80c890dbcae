#!/bin/sh
# Regenerates every fixture from the simulator. The fixture test (Tests/SimulationTests)
# checks the committed files equal what this makes, byte for byte.
# Usage: Fixtures/regenerate.sh PATH/TO/canthus
set -eu
canthus=${1:?usage: Fixtures/regenerate.sh PATH/TO/canthus}
cd "$(dirname "$0")"
while read -r name preset seed; do
  case "$name" in ''|\#*) continue ;; esac
  "$canthus" simulate --preset "$preset" --seed "$seed" --out "$name.canthus" --truth "$name.truth.json"
done < fixtures.list
