# Guest: an IR camera (vivid 0, HDMI input, Y16 160×120) and a visible camera (vivid 1, webcam
# input, YUYV 640×480) recorded together, visible frames paired with IR frames by timestamp.
# The release build throughout, as shipped: the debug build converts each 640×480 picture pixel by
# pixel many times slower, and under emulation on a loaded machine its pictures reached the IR
# frames too old to pair (6 paired in one run, the guest out of time in another) — a fact about
# the debug build, not the pairing.
set -u
CANTHUS=$CANTHUS_RELEASE
modprobe vivid n_devs=2 node_types=0x1,0x1 num_inputs=2,2 input_types=0xc,0xc || exit 10
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/video1 ] && break; sleep 0.2; done
$CANTHUS record --ir /dev/video0 --input 1 --camera lepton35 --fps 9 --visible /dev/video1 --visible-input 0 \
  --duration 8 --out /out/paired.canthus > /out/paired.out 2> /out/paired.err || exit 11
echo visible-done
# The same through libv4l2 (RGB24), as for visible cameras whose own formats canthus does not read.
$CANTHUS record --ir /dev/video0 --input 1 --camera lepton35 --fps 9 --visible /dev/video1 --visible-input 0 \
  --visible-camera webcam-libv4l2 --duration 8 --out /out/paired-libv4l2.canthus > /out/paired-libv4l2.out 2> /out/paired-libv4l2.err || exit 12
echo visible-libv4l2-done
# The daemon: a lane whose IR camera is paired with the visible one; the visible camera is then
# disconnected (vivid lets it be reopened a moment later) — status events that do not pause
# screening, and the visible camera's health.
cat > /tmp/paired.yaml <<YAML
lanes:
  - {name: cam, camera: {device: /dev/video0, model: lepton35, input: 1, fps: 9, visible: {device: /dev/video1, input: 0, fps: 10}}}
records: {directory: /out/var-paired, store: false}   # the store needs a local file system, not 9p
control: {socket: /tmp/run/canthus.sock}
YAML
$CANTHUS run --config /tmp/paired.yaml --no-view > /out/run-paired.out 2> /out/run-paired.err &
PID=$!
for i in $(seq 1 300); do grep -q '"frame":0' /out/var-paired/events.ndjson 2>/dev/null && break; sleep 0.2; done
# (The visible camera at 10 fps: under software emulation, beside the other tests, JPEG
# encoding at 30 fps falls seconds behind and its pictures are too old to pair.)
# Asked until ten IR frames carried a picture (at most 60 s): how soon depends on how far the
# emulated JPEG encoding is behind (0 paired after 8 s in one loaded run, 55 in another).
sleep 4
for i in $(seq 1 120); do
  $CANTHUS status --socket /tmp/run/canthus.sock --json > /out/status-paired.json 2>&1
  paired=$(grep -o '"paired" : [0-9]*' /out/status-paired.json | grep -o '[0-9]*$')
  [ "${paired:-0}" -ge 10 ] && break
  sleep 0.5
done
v4l2-ctl -d /dev/video1 --set-ctrl=disconnect=1
sleep 3
$CANTHUS status --socket /tmp/run/canthus.sock --json > /out/status-unpaired.json 2>&1
kill -TERM $PID
wait $PID
echo "$?" > /out/run-paired.status
echo visible-run-done
