#!/bin/bash
# Builds the guest for canthus's capture tests: Debian's own kernel (the one linux-image-amd64
# points to, downloaded with apt-get) and a busybox initramfs with the module closure of vivid
# and virtio-9p. The guest runs the host's own binaries from the host's root, shared read-only
# over 9p, so nothing of canthus is baked in. Outputs vm/build/{vmlinuz,initramfs.cpio.gz}.
# Needs: busybox-static cpio kmod (make vmdeps installs them). Idempotent: a rebuild reuses the
# downloaded kernel.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$here/build}
mkdir -p "$out"
cd "$out"

for tool in busybox cpio depmod modprobe apt-get dpkg-deb cc; do
  command -v "$tool" >/dev/null || { echo "vm/build-initramfs.sh: $tool is missing (make vmdeps)" >&2; exit 1; }
done

apt-cache show linux-image-amd64 >/dev/null 2>&1 || apt-get update -qq
kpkg=${KPKG_NAME:-$(apt-cache show linux-image-amd64 | sed -n 's/^Depends: \(linux-image-[^ ,]*\).*/\1/p' | head -1)}
[ -n "$kpkg" ] || { echo "vm/build-initramfs.sh: cannot tell which kernel linux-image-amd64 is (apt-get update?)" >&2; exit 1; }
kver=${kpkg#linux-image-}
ls "${kpkg}"_*.deb >/dev/null 2>&1 || apt-get download "$kpkg" 2>&1 | grep -v 'couldn.t be accessed by user' || true
ls "${kpkg}"_*.deb >/dev/null 2>&1 || { echo "vm/build-initramfs.sh: could not download $kpkg" >&2; exit 1; }
if [ ! -d "kernel/lib/modules/$kver" ]; then
  rm -rf kernel && mkdir kernel && dpkg-deb -x "${kpkg}"_*.deb kernel
  depmod -b kernel "$kver"
fi
cp "kernel/boot/vmlinuz-$kver" vmlinuz

root=$out/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,etc,host,out,lib}
cp "$(command -v busybox)" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done

# virtio_blk and ext4 mount the systemd guest's root (vm/build-rootfs.sh) before switching to it.
# configfs: the GPIO simulator (below) is set up through it. dummy_hcd and gadgetfs: the USB
# guest's FLIR ONE (vm/gadget/flir_one.c) on the kernel's dummy host controller.
for m in vivid 9p 9pnet_virtio virtio_pci virtio_blk crc32c_generic ext4 configfs dummy_hcd gadgetfs; do
  modprobe -d kernel -S "$kver" --show-depends "$m"
done | awk '/^insmod/ {print $2}' | sort -u > modules.txt
while read -r f; do
  rel=${f#"$out"/kernel/}
  mkdir -p "$root/$(dirname "$rel")"
  cp "$f" "$root/$rel"
done < modules.txt
for f in modules.order modules.builtin modules.builtin.modinfo; do
  cp "kernel/lib/modules/$kver/$f" "$root/lib/modules/$kver/"
done
# The GPIO simulator for the alarm outputs' tests, built out of tree (Debian does not build it).
mkdir -p "$root/lib/modules/$kver/extra"
"$here/build-gpio-sim.sh" "$kver" "$root/lib/modules/$kver/extra/gpio-sim.ko"
depmod -b "$root" "$kver"

# The allocation counter the capture tests preload (a host library: the guest runs host binaries).
cc -O2 -shared -fPIC -o malloc_count.so "$here/malloc_count.c"
# The systemd guest's USB camera (a static program: the guest is its own Debian, not the host).
cc -O2 -static -o uvc_camera "$here/gadget/uvc_camera.c"
# The USB guest's FLIR ONE (GadgetFS): run from /out (a static program, like the one above).
cc -O2 -static -pthread -o flir_one "$here/gadget/flir_one.c"

cp "$here/init" "$root/init"
chmod +x "$root/init"
( cd "$root" && find . -print0 | cpio --null -o -H newc --quiet ) | gzip -1 > initramfs.cpio.gz
echo "vm: kernel $kver, $(wc -l < modules.txt) modules, $(du -h initramfs.cpio.gz | cut -f1) initramfs"
