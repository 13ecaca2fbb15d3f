#!/usr/bin/env bash
# For tests/gpu/run.sh: the C++ build dependencies for a GPU machine whose image has the
# CUDA toolkit and pip torch but none of our Debian -dev packages (Qt 6 Core/Test and moc, SQLite,
# PCRE2, RE2, simdjson, zlib, zstd, expat, utf8proc, xxHash, CLD2, nlohmann/json, CLI11, pkgconf)
# and no network. It unpacks Debian 12 .deb files carried in DEB_DIR with `dpkg -x` into a private
# prefix (never into /), makes that prefix self-contained (absolute symlinks and the .pc files'
# /usr paths point into it), and writes PREFIX/env.sh, which exports what CMake, pkg-config, the
# linker and moc (run by AUTOMOC during the build) then need: source it before cmake and ninja.
#
#   bash tests/gpu/deps.sh DEB_DIR PREFIX && source PREFIX/env.sh     e.g. .gpudeps /tmp/deps
#
# Fill DEB_DIR on a Debian 12 machine with network:
#   (cd .gpudeps && apt-get download qt6-base-dev qt6-base-dev-tools libqt6core6 libqt6test6 \
#     libicu72 libdouble-conversion3 libb2-1 libglib2.0-0 libffi8 libgomp1 pkgconf pkgconf-bin \
#     libpkgconf3 libsqlite3-dev libsqlite3-0 libpcre2-dev libpcre2-8-0 libpcre2-16-0 \
#     libpcre2-32-0 libpcre2-posix3 nlohmann-json3-dev libcli11-dev libsimdjson-dev libsimdjson14 \
#     zlib1g-dev zlib1g libzstd-dev libzstd1 libexpat1-dev libexpat1 libutf8proc-dev libutf8proc2 \
#     libre2-dev libre2-9 libxxhash-dev libxxhash0 libcld2-dev libcld2-0 libgloo-dev)

set -euo pipefail
debs=$(realpath "$1")
prefix=$(realpath -m "$2")
rm -rf "$prefix"
mkdir -p "$prefix"
for deb in "$debs"/*.deb; do
    if command -v dpkg >/dev/null; then
        dpkg -x "$deb" "$prefix"
    else # an image without dpkg: a .deb is an ar archive holding data.tar.xz
        (cd "$(mktemp -d)" && ar x "$deb" && tar -xf data.tar.* -C "$prefix")
    fi
done
# Absolute symlinks (libz.so -> /lib/x86_64-linux-gnu/libz.so.1.2.13) point into the prefix.
while IFS= read -r link; do
    target=$(readlink "$link")
    ln -sfn "$prefix$target" "$link"
done < <(find "$prefix" -type l -lname '/*')
# The .pc files name /usr outright (prefix=/usr, or re2's includedir=/usr/include).
find "$prefix" -name '*.pc' -exec sed -i -E "s#^([A-Za-z_]+)=/usr#\1=$prefix/usr#" {} +

# Run-time libraries: only those the system lacks go on LD_LIBRARY_PATH (as symlinks in
# $prefix/rt), so that the image's own newer zlib, zstd, SQLite, ... stay in use where they
# exist. Qt 6 always comes from the prefix, matching the headers we compile against. Our
# programs find the directly linked ones through the RUNPATH CMake gives them anyway; this is
# for what those load in turn (Qt6Core's ICU), for pkgconf, and for the linker's search of
# indirect dependencies.
mkdir -p "$prefix/rt"
cache=$(ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null || true)
for link in "$prefix"/usr/lib/x86_64-linux-gnu/lib*.so.* "$prefix"/lib/x86_64-linux-gnu/lib*.so.*; do
    [ -e "$link" ] || continue
    name=${link##*/}
    [[ $name =~ \.so\.[0-9]+$ ]] || continue # sonames only (libfoo.so.3, not .so.3.1.2)
    system=$(awk -v n="$name" '$1 == n && /x86-64/ {print $NF; exit}' <<<"$cache")
    if [[ $name == libQt6* ]] || [ -z "$system" ] || [ ! -s "$system" ]; then
        ln -sfn "$link" "$prefix/rt/$name"
    fi
done

cat >"$prefix/env.sh" <<EOF
export CMAKE_PREFIX_PATH="$prefix/usr\${CMAKE_PREFIX_PATH:+:\$CMAKE_PREFIX_PATH}"
export PKG_CONFIG_PATH="$prefix/usr/lib/x86_64-linux-gnu/pkgconfig:$prefix/usr/share/pkgconfig"
export PKG_CONFIG="$prefix/usr/bin/pkgconf" # FindPkgConfig reads it
export LD_LIBRARY_PATH="$prefix/rt\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
EOF
echo "deps.sh: $(ls "$debs"/*.deb | wc -l) packages in $prefix; on LD_LIBRARY_PATH: $(ls "$prefix/rt" | tr '\n' ' ')" >&2
