# canthus — set-up, build, test, demo. Everything a fresh Debian 12 machine with the Swift
# toolchain needs is installed by `make deps` (Debian packages) and `make pydeps` (Python
# packages for the reader, the OpenCV comparisons and the baselines).

SWIFT     ?= swift
PYTHON    ?= python3
DEB_PKGS  := pkg-config libv4l-dev libusb-1.0-0-dev libjpeg62-turbo-dev zlib1g-dev libpng-dev libtiff-dev
PY_PKGS   := numpy opencv-python-headless cptv==1.5.5
# The capture tests' guest: QEMU, busybox, and the tools that unpack Debian's kernel.
VM_PKGS   := qemu-system-x86 busybox-static cpio kmod zstd xz-utils v4l-utils
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps pydeps vmdeps vm build release test demo bench fixtures clean

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

## vm: the test guest (Debian's kernel with vivid + a busybox initramfs) in vm/build/.
vm: vmdeps
	vm/build-initramfs.sh

## pydeps: Python packages for tools/ and the comparisons in tests and benchmarks.
pydeps:
	@$(PYTHON) -c "import numpy, cv2, cptv" 2>/dev/null || $(PYTHON) -m pip install -q $(PY_PKGS)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product canthus

## test: every test (unit, real reference data, golden fixtures, Python reader, VM capture; the
## VM's allocation count uses the release build).
## Tests that read ../shared/refdata (or $$CANTHUS_REFDATA) are skipped, with the reason, where it
## is absent; the report at the end gives each suite's time, how many ran and were skipped.
test: deps pydeps vm release
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

clean:
	rm -rf .build var vm/build
