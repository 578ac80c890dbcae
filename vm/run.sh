#!/bin/bash
# Boots the test guest (QEMU, software emulation: KVM is not usable here) with the host's root
# read-only and OUTDIR writable, runs OUTDIR/test.sh inside it, and exits with its status
# (125 when the guest never reported one: a panic or the timeout).
#   vm/run.sh OUTDIR [TIMEOUT_S]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
outdir=$(cd "${1:?usage: vm/run.sh OUTDIR [TIMEOUT_S]}" && pwd)
timeout_s=${2:-300}
build=${BUILD:-$here/build}
[ -f "$build/vmlinuz" ] && [ -f "$build/initramfs.cpio.gz" ] || { echo "vm/run.sh: run vm/build-initramfs.sh first (make vm)" >&2; exit 2; }
[ -f "$outdir/test.sh" ] || { echo "vm/run.sh: $outdir/test.sh is missing" >&2; exit 2; }
rm -f "$outdir/exit"
# ROOTFS=IMAGE: the systemd guest — Debian's root file system (vm/build-rootfs.sh) through a
# throw-away overlay (snapshot=on: the cached image is never written), systemd as PID 1; no host
# root share (it is a system of its own).
if [ -n "${ROOTFS:-}" ]; then
  guest=(-drive "file=$ROOTFS,format=raw,if=virtio,snapshot=on")
  append="console=ttyS0 quiet loglevel=3 panic=-1 canthus.root=/dev/vda systemd.show_status=0"
else
  guest=(-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap,id=hostroot)
  append="console=ttyS0 quiet loglevel=3 panic=-1 oops=panic"
fi
timeout --foreground -k 5 "$timeout_s" qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 -m 1536 \
  -nographic -no-reboot -nodefaults -serial stdio -display none -nic none \
  -kernel "$build/vmlinuz" -initrd "$build/initramfs.cpio.gz" -append "$append" "${guest[@]}" \
  -virtfs local,path="$outdir",mount_tag=out,security_model=none,id=out \
  > "$outdir/console.log" 2>&1
qrc=$?
if [ ! -f "$outdir/exit" ]; then
  echo "vm/run.sh: the guest reported no exit status (qemu status $qrc); console:" >&2
  tail -30 "$outdir/console.log" >&2
  exit 125
fi
exit "$(cat "$outdir/exit")"
