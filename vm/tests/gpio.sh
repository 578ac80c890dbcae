# Guest: the alarm outputs' GPIO sink on the kernel's GPIO simulator (gpio-sim, built out of tree
# by vm/build-gpio-sim.sh): an 8-line chip labelled canthus-gate; lines 0, 1, 2 the red, amber and
# green lamps, line 3 the acknowledge button. The fever scenario (the demo: person 2 reads
# 38.4 °C) replayed by `canthus run` twice — red held until acknowledged (the button pressed by
# pulling line 3 up), then red held 1 s only, each stopped by SIGTERM once green again — while the lines are sampled every 0.2 s into
# /out/lines-N.txt ("uptime red amber green"). check-config against the real chip first.
# /out/quiet.canthus (written by the test on the host): two minutes of the demo's view with
# nobody in it, played after the demo in both runs so the daemon waits for the press, or shows
# green again, with no second alarm to come however slow the emulation.
set -u
modprobe gpio-sim || { echo "no gpio-sim module"; exit 10; }
grep -q configfs /proc/mounts || mount -t configfs none /sys/kernel/config
G=/sys/kernel/config/gpio-sim/gate
mkdir "$G" "$G/bank0" || exit 11
echo 8 > "$G/bank0/num_lines"
echo canthus-gate > "$G/bank0/label"
echo 1 > "$G/live" || exit 12
CHIP=$(cat "$G/bank0/chip_name")
SIM=/sys/devices/platform/$(cat "$G/dev_name")/$CHIP
echo "$CHIP $SIM" > /out/chip.txt
ls -l /dev/$CHIP >> /out/chip.txt 2>&1

config() {  # $1: until_acknowledged, $2: chip, $3: red line, $4: what follows the demo
  cat <<YAML
source: {replay: [$REPO/Fixtures/demo.canthus${4:+, $4}], real_time: true}
records: {directory: /tmp/var, store: false}
control: {socket: /tmp/run/canthus.sock}
alarms:
  gate: {hold_s: 1, until_acknowledged: $1}
  sinks:
    - {type: gpio, name: lamp, chip: $2, red: $3, amber: 1, green: 2, button: 3}
YAML
}
config false nosuch 0 > /tmp/nochip.yaml; $CANTHUS check-config /tmp/nochip.yaml > /dev/null 2> /out/nochip.err; echo $? >> /out/nochip.err
config false canthus-gate 9 > /tmp/noline.yaml; $CANTHUS check-config /tmp/noline.yaml > /dev/null 2> /out/noline.err; echo $? >> /out/noline.err
config false canthus-gate 0 > /tmp/ok.yaml; $CANTHUS check-config /tmp/ok.yaml > /dev/null 2> /out/ok.err; echo $? >> /out/ok.err

sample() {  # $1: file; until the daemon ($2) exits (before canthus takes the lines, and after, they read 0 0 0)
  while kill -0 "$2" 2>/dev/null; do
    echo "$(cut -d' ' -f1 /proc/uptime) $(cat $SIM/sim_gpio0/value) $(cat $SIM/sim_gpio1/value) $(cat $SIM/sim_gpio2/value)" >> "$1"
    sleep 0.2
  done
}
press() {
  echo pull-up > $SIM/sim_gpio3/pull; sleep 0.3; echo pull-down > $SIM/sim_gpio3/pull
  echo "$(cut -d' ' -f1 /proc/uptime) pressed" >> /out/lines-1.txt
}

# 1: red until acknowledged. Pressed 4 s after red came (the alarm's person left 2 s after it);
# the quiet recording after the demo keeps the daemon there for the press; stopped 1 s after it.
config true canthus-gate 0 /out/quiet.canthus > /tmp/held.yaml
$CANTHUS run --config /tmp/held.yaml --no-view > /out/run-1.out 2> /out/run-1.err &
PID=$!
sample /out/lines-1.txt $PID &
for i in $(seq 1 600); do tail -n 1 /out/lines-1.txt 2>/dev/null | grep -q '^[0-9.]* 1 ' && break; sleep 0.1; done
sleep 4
$CANTHUS status --socket /tmp/run/canthus.sock --json > /out/status-before.json 2>&1
press
sleep 1
$CANTHUS status --socket /tmp/run/canthus.sock --json > /out/status-after.json 2>&1
kill -TERM $PID
wait $PID; echo "$?" > /out/run-1.status
# 2: red held 1 s after the alarm, then the light follows the people in front. The quiet
# recording follows here too: a daemon that fell behind the emulated clock replays the demo's end
# faster than real time and could reach it inside the hold (the light still red when the lines
# are let go). Stopped once green has been seen again for 2 s.
config false canthus-gate 0 /out/quiet.canthus > /tmp/after.yaml
$CANTHUS run --config /tmp/after.yaml --no-view > /out/run-2.out 2> /out/run-2.err &
PID=$!
sample /out/lines-2.txt $PID &
for i in $(seq 1 600); do tail -n 1 /out/lines-2.txt 2>/dev/null | grep -q '^[0-9.]* 1 ' && break; sleep 0.1; done
for i in $(seq 1 600); do tail -n 1 /out/lines-2.txt 2>/dev/null | grep -q '^[0-9.]* 0 0 1$' && break; sleep 0.1; done
sleep 2
kill -TERM $PID
wait $PID; echo "$?" > /out/run-2.status
sleep 0.5
echo gpio-done
