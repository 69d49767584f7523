#!/bin/sh
# Builds tx86-bench-interp if needed and runs it; the numbers go into
# docs/performance.md. Extra arguments are passed on (e.g. --passes 500).
# Compares with qemu-system-i386 (TCG) in the same run when it is installed.
#
#   bench/run.sh [BUILD_DIR] [tx86-bench-interp options]
#
# BUILD_DIR defaults to build-bench next to this checkout's meson.build; it
# is configured with the release build type if it does not exist.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
builddir="$src/build-bench"
case "${1:-}" in
  -*|"") ;;
  *) builddir=$1; shift ;;
esac
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "$src" --buildtype=release
fi
ninja -C "$builddir" bench/tx86-bench-interp
qemu_flag=""
if command -v qemu-system-i386 >/dev/null 2>&1; then qemu_flag="--qemu"; fi
echo "host: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')"
echo "commit: $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)"
exec "$builddir/bench/tx86-bench-interp" $qemu_flag "$@"
