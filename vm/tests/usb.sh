# Guest: canthus's libusb source against a FLIR ONE presented by GadgetFS on the kernel's dummy
# host controller (vm/gadget/flir_one.c streams /out/stream.bin: frames the host test built from
# the demo recording, each with its own JPEG). One boot: devices with and without the camera; a
# recording of its stream; the camera unplugged (the gadget killed) while recording, the CPU time
# spent while it is gone, and plugged in again; a daemon lane screening it; two dry runs at
# different frame rates whose difference in allocations is what a frame costs.
set -u
modprobe dummy_hcd && modprobe gadgetfs || { echo "no dummy_hcd or gadgetfs"; exit 10; }
mkdir -p /dev/gadget
mount -t gadgetfs gadgetfs /dev/gadget || exit 11
cp /out/flir_one /tmp/flir_one && chmod +x /tmp/flir_one
plug() {  # $1: frame period (ms)
  /tmp/flir_one F1TEST /out/stream.bin "$1" >> /out/gadget.log 2>&1 &
  echo $! > /tmp/gadget.pid
  for i in $(seq 1 50); do grep -q "connected" /out/gadget.log 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
}
unplug() { kill -9 "$(cat /tmp/gadget.pid)"; wait "$(cat /tmp/gadget.pid)" 2>/dev/null; sleep 0.3; }
ticks() { awk '{print $14 + $15}' /proc/$1/stat; }

$CANTHUS devices > /out/devices-none.txt 2>&1
plug 110
$CANTHUS devices > /out/devices.txt 2>&1
$CANTHUS devices --json > /out/devices.json 2>&1
$CANTHUS record --camera flirone --ir usb:F1TEST --frames 30 --out /out/live.canthus > /out/live.out 2> /out/live.err
echo $? > /out/live.status
echo usb-record-done

# Unplugged while recording, 4 s away, plugged in again.
$CANTHUS record --camera flirone --ir usb --frames 50 --out /out/replug.canthus > /out/replug.out 2> /out/replug.err &
R=$!
for i in $(seq 1 300); do grep -q 'recording usb:flirone: [1-9][0-9]* frames' /out/replug.err && break; sleep 0.1; done
unplug
sleep 0.5
t0=$(ticks $R)
sleep 4
t1=$(ticks $R)
echo $((t1 - t0)) > /out/replug.cputicks
plug 110
wait $R
echo $? > /out/replug.status
echo usb-replug-done

# A daemon lane on the camera: screening events from it, stopped by SIGTERM; it records the
# frames it screens, and the recording replayed gives the same events.
cat > /tmp/usb.yaml <<YAML
lanes:
  - {name: usb, gate: USB, camera: {device: "usb:F1TEST", model: flirone, record: /out/run-recorded.canthus}}
records: {directory: /tmp/var, store: false}
control: {socket: /tmp/run/canthus.sock}
YAML
$CANTHUS run --config /tmp/usb.yaml --no-view > /out/run.out 2> /out/run.err &
P=$!
# Until the second person's decision (the demo's febrile one, 6.5 s in), at most 60 s.
for i in $(seq 1 300); do [ "$(grep -c '"type":"decision"' /tmp/var/events.ndjson 2>/dev/null)" -ge 2 ] && break; sleep 0.2; done
sleep 1
$CANTHUS status --socket /tmp/run/canthus.sock --json > /out/run-status.json 2>&1
kill -TERM $P
wait $P
echo $? > /out/run.status
cp /tmp/var/events.ndjson /out/run-events.ndjson
# What the lane screened, recorded as it ran, replayed.
$CANTHUS replay --format ndjson /out/run-recorded.canthus > /out/run-replayed.ndjson 2> /out/run-replayed.err
echo usb-run-done

# canthus calibrate reads it too (the scene is no blackbody: the report, whatever its verdict).
# In this emulated guest (TCG) the debug binary takes 6–19 s to start, and 10–65 s pass between
# the camera's close (itself 0.03 s) and the report: up to 4 minutes, not 90 s.
timeout 240 $CANTHUS calibrate --source usb:F1TEST --setpoints 35 --region 0,0,8,8 --frames 5 --non-interactive --store /tmp/cal.sqlite \
  > /out/calibrate.out 2> /out/calibrate.err
echo $? > /out/calibrate.status
echo usb-calibrate-done

# Allocations per frame (release build): the same 8 s with the camera at 2.5 and at 20 frames per
# second; the difference in allocations over the difference in frames is what a frame costs.
for period in 400 50; do
  unplug; plug $period
  MALLOC_COUNT_BY_OBJECT=1 LD_PRELOAD=$REPO/vm/build/malloc_count.so $CANTHUS_RELEASE record --camera flirone --ir usb --duration 8 --dry-run --quiet \
    > /out/alloc$period.out 2> /out/alloc$period.err
done
unplug
echo usb-done
