# Guest: vivid's fault injection against canthus record (run by VMTests). Each phase logs to
# /out/PHASE.err and records to /out/PHASE.canthus; the host test reads them.
set -u
VIVID="n_devs=1 node_types=0x1 num_inputs=2 input_types=0xc"
load() { modprobe vivid $VIVID || exit 10; for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/video0 ] && return 0; sleep 0.2; done; exit 11; }
ctl() { v4l2-ctl -d /dev/video0 --set-ctrl="$1" || echo "v4l2-ctl $1 failed"; }
# Starts recording and returns once frames are coming in (at least five, at most 60 s: a loaded
# host can take seconds to start the guest's canthus), so a fault is never injected before
# streaming has begun.
start() {
    $CANTHUS record --ir /dev/video0 --input 0 --camera webcam --fps 10 --duration 120 --out "/out/$1.canthus" > "/out/$1.out" 2> "/out/$1.err" &
    PID=$!
    for i in $(seq 1 300); do
        grep -Eq "recording /dev/video0: ([5-9]|[1-9][0-9]+) frames" "/out/$1.err" 2>/dev/null && break
        sleep 0.2
    done
    sleep 1
}
finish() { kill -TERM $PID; wait $PID; echo "$?" > "/out/$1.status"; }

# 1. disconnect: the node goes; canthus reports the camera lost, keeps running, and resumes
#    when the node returns (the module reloaded once canthus let go of it).
load
start disconnect
ctl disconnect=1
for i in $(seq 1 50); do rmmod vivid 2>/dev/null && break; sleep 0.2; done
sleep 2
load
sleep 8
finish disconnect

# 2. a fatal streaming error (EIO) restarts streaming
start eio
ctl inject_fatal_streaming_error=1
sleep 5
finish eio

# 3. dropped buffers are counted
start drops
ctl percentage_of_dropped_buffers=50
sleep 5
ctl percentage_of_dropped_buffers=0
finish drops

# 4. buffers the driver marks as bad (V4L2_BUF_FLAG_ERROR) are counted and dropped
start bad
ctl inject_v4l2_buf_flag_error=1
sleep 3
ctl inject_v4l2_buf_flag_error=1
sleep 3
finish bad

# 5. the device unbound for good: back-off without burning CPU, clean exit on SIGTERM
start unbound
echo vivid.0 > /sys/bus/platform/drivers/vivid/unbind
sleep 3
t0=$(awk '{print $14 + $15}' /proc/$PID/stat)
sleep 6
t1=$(awk '{print $14 + $15}' /proc/$PID/stat)
echo "$((t1 - t0))" > /out/unbound.cputicks
finish unbound
echo faults-done
