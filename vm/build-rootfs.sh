#!/bin/bash
# Builds the systemd guest's root file system: a minimal Debian 12 (mmdebstrap, minbase) with
# systemd as init, udev, and the libraries canthus's package depends on, plus the module closure
# of what the scenarios load (vivid, dummy_hcd + gadgetfs for the USB cameras, uvcvideo, 9p) for the
# project's kernel (vm/build-initramfs.sh fetched it). Written as an ext4 image into the cache
# outside the clone — $CANTHUS_CACHE, default ~/.cache/canthus — named by a hash of this script,
# the package list and the kernel, so it is rebuilt only when one of them changes (≈ 1 min).
# The guest boots it read-write through a throw-away overlay (vm/run.sh's SYSTEMD mode).
# Prints the image's path. Needs root (mmdebstrap's root mode keeps owners) and make vmdeps.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${BUILD:-$here/build}
cache=${CANTHUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/canthus}
kver=$(ls "$build/kernel/lib/modules" 2>/dev/null | head -1)
[ -n "$kver" ] || { echo "vm/build-rootfs.sh: no kernel in $build (run vm/build-initramfs.sh first)" >&2; exit 1; }
for tool in mmdebstrap mkfs.ext4 modprobe depmod; do
  command -v "$tool" >/dev/null || { echo "vm/build-rootfs.sh: $tool is missing (make vmdeps)" >&2; exit 1; }
done
# systemd and udev; what the package depends on (so dpkg -i works offline in the guest);
# procps for the scenarios' pgrep/ps.
packages=systemd,systemd-sysv,udev,dbus,kmod,procps,usbutils,sqlite3,libsqlite3-0,libv4l-0,libjpeg62-turbo,libpng16-16,libtiff6,zlib1g,libstdc++6,libgpiod2,libusb-1.0-0
modules="vivid dummy_hcd gadgetfs uvcvideo 9p 9pnet_virtio"
mirror=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}
key=$( (cat "$0"; echo "$packages $modules $kver") | sha256sum | cut -c1-16)
image=$cache/rootfs-$key.ext4
if [ -f "$image" ]; then echo "$image"; exit 0; fi
mkdir -p "$cache"
work=$(mktemp -d "$cache/rootfs-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "vm/build-rootfs.sh: building the systemd guest's root file system (Debian bookworm from $mirror)" >&2
mmdebstrap --quiet --variant=minbase --include="$packages" bookworm "$work/root.tar" "$mirror" >&2
root=$work/root
mkdir "$root"
tar -C "$root" -xf "$work/root.tar"
rm "$work/root.tar"

# The kernel's modules the scenarios load (and their dependencies), then depmod.
for m in $modules; do modprobe -d "$build/kernel" -S "$kver" --show-depends "$m"; done \
  | awk '/^insmod/ {print $2}' | sort -u | while read -r f; do
  rel=${f#"$build"/kernel/}
  mkdir -p "$root/usr/$(dirname "$rel")"
  cp "$f" "$root/usr/$rel"
done
for f in modules.order modules.builtin modules.builtin.modinfo; do cp "$build/kernel/lib/modules/$kver/$f" "$root/usr/lib/modules/$kver/"; done
depmod -b "$root" "$kver"

# The guest: hostname, a root without password on the console, no timers or units that only
# slow a test boot, and the unit that runs the host's test script (/out, 9p) and powers off.
echo canthus-vm > "$root/etc/hostname"
echo "LANG=C.UTF-8" > "$root/etc/default/locale"
sed -i 's/^root:[^:]*:/root::/' "$root/etc/shadow"
for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
            systemd-timesyncd.service getty@tty1.service serial-getty@ttyS0.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
cat > "$root/etc/systemd/system/canthus-vmtest.service" <<'UNIT'
[Unit]
Description=canthus VM scenarios (/out/test.sh from the host)
After=multi-user.target
Requires=local-fs.target

[Service]
Type=oneshot
StandardOutput=journal+console
ExecStartPre=/bin/mkdir -p /out
ExecStartPre=/sbin/modprobe 9pnet_virtio
ExecStartPre=/bin/mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 out /out
ExecStart=/bin/sh -c 'sh /out/test.sh > /out/test.log 2>&1; echo $? > /out/exit; sync'
ExecStartPost=/bin/sh -c 'echo "VMTEST-EXIT: $(cat /out/exit)" > /dev/ttyS0'
ExecStartPost=/bin/systemctl --no-block poweroff --force
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/canthus-vmtest.service "$root/etc/systemd/system/multi-user.target.wants/canthus-vmtest.service"
printf '/dev/vda / ext4 rw,relatime 0 1\n' > "$root/etc/fstab"

size_mb=$(( $(du -sm "$root" | cut -f1) + 400 ))
mkfs.ext4 -q -F -L canthus-root -d "$root" "$work/image.ext4" "${size_mb}M" >&2
mv "$work/image.ext4" "$image"
# Older images of other keys go.
find "$cache" -maxdepth 1 -name 'rootfs-*.ext4' ! -name "rootfs-$key.ext4" -delete
echo "$image"
