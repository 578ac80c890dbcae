# Guest: allocations of the capture path, counted where the driver is. Two dry runs (capture, no
# writing) of the same length, one at 5 and one at 25 frames per second: the difference in
# allocations over the difference in frames is what a frame costs.
set -u
modprobe vivid n_devs=1 node_types=0x1 num_inputs=2 input_types=0xc || exit 10
for i in 1 2 3 4 5 6 7 8 9 10; do [ -e /dev/video0 ] && break; sleep 0.2; done
for fps in 5 25; do
  LD_PRELOAD=$REPO/vm/build/malloc_count.so $CANTHUS_RELEASE record --ir /dev/video0 --input 0 --camera webcam --fps $fps \
    --duration 6 --dry-run --quiet > /out/alloc$fps.out 2> /out/alloc$fps.err || exit 11
done
echo alloc-done
