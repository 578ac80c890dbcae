# canthus — set-up, build, test, demo. Everything a fresh Debian 12 machine with the Swift
# toolchain needs is installed by `make deps` (Debian packages) and `make pydeps` (Python
# packages for the reader, the OpenCV comparisons and the baselines).

SWIFT     ?= swift
PYTHON    ?= python3
DEB_PKGS  := pkg-config libv4l-dev libusb-1.0-0-dev libjpeg62-turbo-dev zlib1g-dev libpng-dev libtiff-dev libsqlite3-dev sqlite3 libgpiod-dev espeak-ng sox alsa-utils openssl ca-certificates python3
PY_PKGS   := numpy opencv-python-headless cptv==1.5.5
# The capture tests' guest: QEMU, busybox, and the tools that unpack Debian's kernel; the
# systemd guest's root file system (mmdebstrap, mkfs.ext4); the package's checks (lintian).
VM_PKGS   := qemu-system-x86 busybox-static cpio kmod zstd xz-utils v4l-utils mmdebstrap e2fsprogs
# What `make deb` packages with (dpkg-shlibdeps, dpkg-deb) and checks the package with.
PKG_PKGS  := dpkg-dev fakeroot lintian
VERSION   := $(shell sed -n 's/.*static let string = "\(.*\)"/\1/p' Sources/Daemon/Version.swift)

# make install: a release binary (Swift runtime linked in), the units, udev rules, sysusers and
# tmpfiles entries, the commented default configuration (kept if present) and the docs.
DESTDIR       ?=
PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
SYSCONFDIR    ?= /etc
DOCDIR        ?= $(PREFIX)/share/doc/canthus
# systemd finds units, sysusers and tmpfiles entries under /usr/local/lib too; udev does not.
ifeq ($(PREFIX),/usr)
LIBDIR_SD     ?= /lib/systemd
UDEVRULESDIR  ?= /lib/udev/rules.d
SYSUSERSDIR   ?= /usr/lib/sysusers.d
TMPFILESDIR   ?= /usr/lib/tmpfiles.d
else
LIBDIR_SD     ?= $(PREFIX)/lib/systemd
UDEVRULESDIR  ?= $(SYSCONFDIR)/udev/rules.d
SYSUSERSDIR   ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR   ?= $(PREFIX)/lib/tmpfiles.d
endif
UNITDIR       ?= $(LIBDIR_SD)/system
RELEASE_BIN    = $(shell $(SWIFT) build -c release --show-bin-path)/canthus
DOCS          := README.md docs/architecture.md docs/calibration.md docs/configuration.md docs/deployment.md \
                 docs/distance.md docs/events.md docs/operator.md docs/recording-format.md docs/records.md docs/screening.md
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps pydeps vmdeps pkgdeps vm build release test demo bench fixtures clean install uninstall deb

all: build

## deps: install the Debian packages the build links against (only those missing).
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

## vmdeps: what the VM capture tests need (Debian packages).
vmdeps:
	@missing=""; for p in $(VM_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## pkgdeps: what `make deb` needs (Debian packages).
pkgdeps:
	@missing=""; for p in $(PKG_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## vm: the test guests in vm/build/: Debian's kernel with vivid + a busybox initramfs, and the
## systemd guest's Debian root file system (cached outside the clone: vm/build-rootfs.sh).
vm: vmdeps
	vm/build-initramfs.sh
	vm/build-rootfs.sh > vm/build/rootfs.path

## pydeps: Python packages for tools/ and the comparisons in tests and benchmarks.
pydeps:
	@$(PYTHON) -c "import numpy, cv2, cptv" 2>/dev/null || $(PYTHON) -m pip install -q $(PY_PKGS)

build: deps
	$(SWIFT) build

## release: the one release build (tests, VM guests, install, package, demo): the Swift
## runtime linked in, so the binary needs only Debian's own libraries.
release: deps
	$(SWIFT) build -c release --product canthus --static-swift-stdlib

## test: every test (unit, real reference data, golden fixtures, Python reader, VM capture; the
## VM's allocation count uses the release build).
## Tests that read ../shared/refdata (or $$CANTHUS_REFDATA) are skipped, with the reason, where it
## is absent; the report at the end gives each suite's time, how many ran and were skipped.
test: deps pydeps pkgdeps vm release
	$(MAKE) --no-print-directory deb
	$(SWIFT) build --build-tests
	SWIFT=$(SWIFT) PYTHON=$(PYTHON) tools/run-tests.sh

## demo: build a release binary and screen the bundled gate recording, live.
demo: release
	@mkdir -p var
	$$($(SWIFT) build -c release --show-bin-path)/canthus run --config examples/demo.yaml

## bench: Swift benchmarks beside the numpy + OpenCV baseline, with ratios.
bench: deps pydeps
	Benchmarks/run.sh

## fixtures: regenerate Fixtures/ from the simulator (the fixture test checks they match).
fixtures: build
	Fixtures/regenerate.sh $$($(SWIFT) build --show-bin-path)/canthus

## install: DESTDIR, PREFIX (/usr/local; /usr for the package) as usual. Does not build: run
## `make release` first (as the user who builds, not root).
install:
	@[ -x "$(RELEASE_BIN)" ] || { echo "make install: no release build at $(RELEASE_BIN); run make release first" >&2; exit 1; }
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(SYSUSERSDIR) \
	  $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSCONFDIR)/canthus $(DESTDIR)$(DOCDIR)/examples
	install -m 0755 --strip "$(RELEASE_BIN)" $(DESTDIR)$(BINDIR)/canthus
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' \
	  systemd/canthus.service.in > $(DESTDIR)$(UNITDIR)/canthus.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/canthus.service
	install -m 0644 systemd/canthus.sysusers $(DESTDIR)$(SYSUSERSDIR)/canthus.conf
	install -m 0644 systemd/canthus.tmpfiles $(DESTDIR)$(TMPFILESDIR)/canthus.conf
	install -m 0644 udev/70-canthus.rules $(DESTDIR)$(UDEVRULESDIR)/70-canthus.rules
	@# The operator's configuration: kept when already there.
	[ -e $(DESTDIR)$(SYSCONFDIR)/canthus/canthus.yaml ] || install -m 0644 etc/canthus.yaml $(DESTDIR)$(SYSCONFDIR)/canthus/canthus.yaml
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	@# Local camera rules (a visible webcam): a template the operator copies to /etc/udev/rules.d.
	install -m 0644 udev/71-canthus-local.rules $(DESTDIR)$(DOCDIR)/examples/71-canthus-local.rules
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	  systemd-sysusers canthus.conf; systemd-tmpfiles --create canthus.conf; \
	  udevadm control --reload; udevadm trigger --subsystem-match=video4linux --subsystem-match=usb --subsystem-match=gpio; \
	  systemctl daemon-reload; echo "installed; start with: systemctl enable --now canthus"; fi

## uninstall: removes what install laid out, except the operator's configuration files.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/canthus $(DESTDIR)$(UNITDIR)/canthus.service $(DESTDIR)$(SYSUSERSDIR)/canthus.conf \
	  $(DESTDIR)$(TMPFILESDIR)/canthus.conf $(DESTDIR)$(UDEVRULESDIR)/70-canthus.rules
	rm -rf $(DESTDIR)$(DOCDIR)
	@echo "kept: $(DESTDIR)$(SYSCONFDIR)/canthus/canthus.yaml, /var/lib/canthus (the records), any /etc/udev/rules.d/71-canthus-local.rules"

## deb: build/canthus_VERSION_ARCH.deb from the release build (no second build), with Debian's
## own tools: dpkg-shlibdeps for the dependencies, dpkg-deb to pack; `lintian` checks it.
deb: pkgdeps
	tools/make-deb.sh "$(RELEASE_BIN)" "$(VERSION)"

clean:
	rm -rf .build var vm/build build
