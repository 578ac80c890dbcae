# Guest: stream from vivid in every format canthus reads and record each (run by VMTests).
set -u
modprobe vivid n_devs=1 node_types=0x1 num_inputs=2 input_types=0xc || exit 10
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/video0 ] && break; sleep 0.2; done
$CANTHUS devices --json > /out/devices.json || exit 11
$CANTHUS devices > /out/devices.txt || exit 12
# input 1 (HDMI) scales to any size; input 0 (webcam) has fixed sizes such as 640x480
$CANTHUS record --ir /dev/video0 --input 1 --camera core640 --frames 12 --out /out/y16-640x512.canthus || exit 13
$CANTHUS record --ir /dev/video0 --input 1 --camera lepton35 --frames 12 --out /out/y16-160x120.canthus || exit 14
$CANTHUS record --ir /dev/video0 --input 0 --camera grey --frames 8 --out /out/grey-640x480.canthus || exit 15
$CANTHUS record --ir /dev/video0 --input 0 --camera webcam --frames 8 --out /out/yuyv-640x480.canthus || exit 16
# A recording made here replays here.
$CANTHUS replay --format ndjson /out/y16-160x120.canthus > /out/replay.ndjson || exit 17
echo formats-done
