# Guest: canthus run with two lanes — a live vivid camera, and a recording replayed at its own
# pace beside it — the camera unplugged and back, the daemon asked for its status meanwhile, then
# SIGTERM once the recording is done. The recording's lane must not notice the camera's loss.
set -u
VIVID="n_devs=1 node_types=0x1 num_inputs=2 input_types=0xc"
modprobe vivid $VIVID || exit 10
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/video0 ] && break; sleep 0.2; done
cat > /tmp/live.yaml <<YAML
lanes:
  - {name: cam, gate: Live, camera: {device: /dev/video0, model: core640, input: 1, fps: 10}}
  - {name: rec, gate: Recorded, replay: [$REPO/Fixtures/demo.canthus], real_time: true}
# The store is not wanted here (and SQLite's WAL cannot share memory over 9p); the systemd guest
# tests it on ext4.
records: {directory: /out/var, store: false}
control: {socket: /tmp/run/canthus.sock}
YAML
$CANTHUS run --config /tmp/live.yaml --no-view > /out/run.out 2> /out/run.err &
PID=$!
# Frames are being screened once the first status event is in the log (at most 60 s: a loaded
# host can take seconds to start the guest's canthus); then a few seconds more of screening.
for i in $(seq 1 300); do grep -q '"frame":0' /out/var/events.ndjson 2>/dev/null && break; sleep 0.2; done
sleep 3
v4l2-ctl -d /dev/video0 --set-ctrl=disconnect=1
for i in $(seq 1 50); do rmmod vivid 2>/dev/null && break; sleep 0.2; done
sleep 2
$CANTHUS status --socket /tmp/run/canthus.sock --json > /out/status.json 2> /out/status.err
modprobe vivid $VIVID
# SIGTERM once the recording's lane has ended (under emulation it can run behind its own clock)
# and the camera has been back for a while.
back=$(cut -d. -f1 /proc/uptime)
for i in $(seq 1 240); do
  if [ $(( $(cut -d. -f1 /proc/uptime) - back )) -ge 8 ] && \
     $CANTHUS status --socket /tmp/run/canthus.sock --json 2>/dev/null | grep -q 'recordings ended'; then break; fi
  sleep 0.5
done
kill -TERM $PID
wait $PID
echo "$?" > /out/run.status
echo service-done
