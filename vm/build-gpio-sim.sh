#!/bin/bash
# Builds gpio-sim.ko for Debian's kernel KVER (the test guest's) out of tree: Debian 12's kernel
# has neither CONFIG_GPIO_SIM nor the IRQ_SIM it selects. The two sources come from Debian's
# linux-source-6.1 package, the build from the matching linux-headers-KVER; one change:
# irq_sim.c calls handle_simple_irq(irq_to_desc(n)), and irq_to_desc is not exported to modules,
# so it calls generic_handle_irq(n), which runs the same handler through the descriptor.
# Usage: vm/build-gpio-sim.sh KVER OUT.ko. The module is cached outside the clone
# ($CANTHUS_CACHE, default ~/.cache/canthus), by kernel version.
set -euo pipefail
kver=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
cache=${CANTHUS_CACHE:-$HOME/.cache/canthus}
cached=$cache/gpio-sim-$kver.ko
if [ -f "$cached" ]; then cp "$cached" "$out"; exit 0; fi
mkdir -p "$cache"
headers=/usr/src/linux-headers-$kver
if [ ! -d "$headers" ]; then
  echo "vm: installing linux-headers-$kver to build gpio-sim" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "linux-headers-$kver" >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download linux-source-6.1 2>&1 | grep -v 'couldn.t be accessed by user' >&2 || true
deb=$(ls linux-source-6.1_*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x ./usr/src/linux-source-6.1.tar.xz
tar -xJf usr/src/linux-source-6.1.tar.xz linux-source-6.1/drivers/gpio/gpio-sim.c linux-source-6.1/drivers/gpio/gpiolib.h \
  linux-source-6.1/kernel/irq/irq_sim.c
mkdir mod
cp "$here/gpio-sim/Kbuild" mod/
cp linux-source-6.1/drivers/gpio/gpio-sim.c mod/gpio-sim-main.c
cp linux-source-6.1/drivers/gpio/gpiolib.h mod/
sed 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' linux-source-6.1/kernel/irq/irq_sim.c > mod/irq_sim.c
grep -q 'generic_handle_irq(irqnum);' mod/irq_sim.c || { echo "vm/build-gpio-sim.sh: irq_sim.c changed upstream; check the patch" >&2; exit 1; }
make -s -C "$headers" M="$work/mod" modules >&2
cp mod/gpio-sim.ko "$cached"
cp mod/gpio-sim.ko "$out"
echo "vm: built gpio-sim.ko for $kver from $deb" >&2
