#!/bin/bash
# Packages canthus as build/canthus_VERSION_ARCH.deb from the release build that exists (no
# second build): `make install` into a staging root with PREFIX=/usr, the dependencies from
# dpkg-shlibdeps, the maintainer scripts and conffiles from packaging/deb/, packed by dpkg-deb
# with root ownership. Then lintian's findings are printed (informational).
#   tools/make-deb.sh RELEASE_BINARY VERSION
set -euo pipefail
bin=${1:?usage: tools/make-deb.sh RELEASE_BINARY VERSION}
version=${2:?usage: tools/make-deb.sh RELEASE_BINARY VERSION}
cd "$(dirname "$0")/.."
repo=$PWD
[ -x "$bin" ] || { echo "make-deb: no release build at $bin (make release)" >&2; exit 1; }
arch=$(dpkg --print-architecture)
name=canthus_${version}_${arch}
stage=$repo/build/deb/$name
rm -rf "$stage"
mkdir -p "$stage"
make --no-print-directory -s install DESTDIR="$stage" PREFIX=/usr DOCDIR=/usr/share/doc/canthus RELEASE_BIN="$bin" >/dev/null
# Debian's documentation files.
install -m 0644 packaging/deb/copyright "$stage/usr/share/doc/canthus/copyright"
printf 'canthus (%s) unstable; urgency=medium\n\n  * Release %s (git %s).\n\n -- canthus developers <maintainers@canthus.invalid>  %s\n' \
  "$version" "$version" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")" \
  | gzip -9n > "$stage/usr/share/doc/canthus/changelog.gz"
gzip -9n "$stage"/usr/share/doc/canthus/*.md
sed -i 's|\(/usr/share/doc/canthus/[a-z]*\.md\)|\1.gz|g' "$stage/lib/systemd/system/canthus.service"

# Dependencies, as Debian's packaging tools compute them: the libraries the binary links.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/debian"
printf 'Source: canthus\n\nPackage: canthus\nArchitecture: any\n' > "$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O -e"$stage/usr/bin/canthus" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "make-deb: dpkg-shlibdeps found no dependencies for $stage/usr/bin/canthus" >&2; exit 1; }

mkdir -p "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@SIZE@|$size|" -e "s|@DEPENDS@|$depends|" \
  packaging/deb/control.in > "$stage/DEBIAN/control"
printf '/etc/canthus/canthus.yaml\n' > "$stage/DEBIAN/conffiles"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$stage/DEBIAN/"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum | sed 's|  \./|  |') > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"
find "$stage" -type d -exec chmod 0755 {} +
dpkg-deb --root-owner-group -Zxz --build "$stage" "build/$name.deb" >/dev/null
echo "build/$name.deb ($(du -h "build/$name.deb" | cut -f1)): Depends: $depends"
if command -v lintian >/dev/null; then
  echo "lintian's findings (informational; docs/deployment.md discusses them):"
  lintian --tag-display-limit 0 "build/$name.deb" 2>&1 | sed 's/^/  /' || true
fi
