# Guest: an IR camera (vivid 0, HDMI input, Y16 160×120) and a visible camera (vivid 1, webcam
# input, YUYV 640×480) recorded together, visible frames paired with IR frames by timestamp.
set -u
modprobe vivid n_devs=2 node_types=0x1,0x1 num_inputs=2,2 input_types=0xc,0xc || exit 10
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/video1 ] && break; sleep 0.2; done
$CANTHUS record --ir /dev/video0 --input 1 --camera lepton35 --fps 9 --visible /dev/video1 --visible-input 0 \
  --duration 8 --out /out/paired.canthus > /out/paired.out 2> /out/paired.err || exit 11
echo visible-done
# The same through libv4l2 (RGB24), as for visible cameras whose own formats canthus does not read.
$CANTHUS record --ir /dev/video0 --input 1 --camera lepton35 --fps 9 --visible /dev/video1 --visible-input 0 \
  --visible-camera webcam-libv4l2 --duration 8 --out /out/paired-libv4l2.canthus > /out/paired-libv4l2.out 2> /out/paired-libv4l2.err || exit 12
echo visible-libv4l2-done
