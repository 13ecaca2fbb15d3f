#!/usr/bin/env bash
# Builds the Debian package from a configured build folder, installs it with apt (which
# resolves the Depends), and checks the installed programs. Run as root, after the build
# (CI runs it after ctest; it only builds what the package needs if that is not built yet).
#
#   bash packaging/test-deb.sh [BUILD_DIR]      (default: build)
#
# Set RLHF_DEB_KEEP=1 to leave the package installed; otherwise it is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
start=$(date +%s)

fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
[ -f "$build/CPackConfig.cmake" ] || fail "$build is not a configured build folder (no CPackConfig.cmake)"

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[ -n "$version" ] || fail "no CPACK_PACKAGE_VERSION in $build/CPackConfig.cmake"
# rlhf-studio (Debian's LibTorch) or rlhf-studio-cuda (LibTorch 2.x, carried in the package)
name=$(sed -n 's/^set(CPACK_PACKAGE_NAME "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[ -n "$name" ] || fail "no CPACK_PACKAGE_NAME in $build/CPackConfig.cmake"

# The package files come from the freshly built tree: validate the ones we ship.
desktop-file-validate packaging/rlhf-studio.desktop
appstream_in=packaging/io.github.rlhfstudio.RlhfStudio.metainfo.xml.in
metainfo="$build/packaging/io.github.rlhfstudio.RlhfStudio.metainfo.xml"
if [ ! -f "$metainfo" ]; then   # GUI off or no rlhf-studio yet: validate the template anyway
  metainfo=$(mktemp --suffix=.metainfo.xml)
  sed -e "s/@PROJECT_VERSION@/$version/" -e 's/@RLHF_RELEASE_DATE@/2000-01-01/' "$appstream_in" >"$metainfo"
fi
appstreamcli validate --no-net "$metainfo" >/dev/null || appstreamcli validate --no-net "$metainfo"

cmake --build "$build" --target rlhf-package-binaries
rm -f "$build"/"$name"_*.deb
(cd "$build" && cpack -G DEB >/dev/null) || fail "cpack"
debs=("$build"/"$name"_"$version"_*.deb)
[ -f "${debs[0]}" ] || fail "cpack wrote no ${name}_${version}_*.deb in $build"
deb=${debs[0]}
echo "test-deb: built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Section\|Depends\):/  \1:/p'
dpkg-deb --contents "$deb" | awk '{print "  " $NF}' | grep -v '/$' | grep -v '^  ./usr/lib/rlhf-studio/'
bundled=$(dpkg-deb --contents "$deb" | grep -c '/usr/lib/rlhf-studio/.*\.so' || true)
[ "$bundled" = 0 ] || echo "  ./usr/lib/rlhf-studio/: $bundled LibTorch and CUDA libraries"

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends --reinstall "$deb" >/dev/null || fail "apt-get install $deb"
[ "${RLHF_DEB_KEEP:-0}" = 1 ] || trap 'apt-get remove -y -qq "$name" >/dev/null || true' EXIT

# Installed under /usr, found on the default PATH, and runs with only the declared Depends.
[ -x /usr/bin/rlhf ] || fail "/usr/bin/rlhf missing"
got=$(cd / && env -i PATH=/usr/bin:/bin /usr/bin/rlhf --version) || fail "/usr/bin/rlhf --version exited $?"
[ "$got" = "rlhf $version" ] || fail "/usr/bin/rlhf --version printed '$got', expected 'rlhf $version'"
missing=$(ldd /usr/bin/rlhf | grep 'not found' || true)
[ -z "$missing" ] || fail "unresolved libraries: $missing"
if [ "$bundled" != 0 ]; then # LibTorch and CUDA from the package's copy, not from a build tree
  stray=$(ldd /usr/bin/rlhf | grep -E 'lib(torch|c10|cudart|nccl|cudnn|cublas)' | grep -Ev '=> /usr/(bin/\.\./)?lib/rlhf-studio/' || true)
  [ -z "$stray" ] || fail "libraries found outside /usr/lib/rlhf-studio: $stray"
  (cd / && env -i PATH=/usr/bin:/bin /usr/bin/rlhf bench gemm --size 256 --precision fp32 >/dev/null) ||
    fail "/usr/bin/rlhf bench gemm (a LibTorch call) failed"
fi

if dpkg -L "$name" | grep -qx /usr/bin/rlhf-studio; then
  for f in /usr/share/applications/rlhf-studio.desktop \
           /usr/share/icons/hicolor/scalable/apps/rlhf-studio.svg \
           /usr/share/metainfo/io.github.rlhfstudio.RlhfStudio.metainfo.xml; do
    [ -f "$f" ] || fail "$f missing"
  done
  desktop-file-validate /usr/share/applications/rlhf-studio.desktop
  appstreamcli validate --no-net /usr/share/metainfo/io.github.rlhfstudio.RlhfStudio.metainfo.xml >/dev/null
  missing=$(ldd /usr/bin/rlhf-studio | grep 'not found' || true)
  [ -z "$missing" ] || fail "unresolved libraries: $missing"
fi

if [ "${RLHF_DEB_KEEP:-0}" != 1 ]; then
  trap - EXIT
  apt-get remove -y -qq "$name" >/dev/null
fi
echo "test-deb: OK: $got from /usr/bin/rlhf, in $(( $(date +%s) - start )) s"
