#!/bin/sh
# One command for every figure in docs/performance.md (as root, Docker up):
#   bench/run.sh [--sizes 10,30,100] [--plan-sizes 1000,10000] [--no-docker]
# It builds a release binary, runs pi-bench and rewrites the measured
# section of docs/performance.md.
set -eu
cd "$(dirname "$0")/.."
[ -d build-release ] || meson setup build-release --buildtype=release -Dtests=disabled
ninja -C build-release bench/pi-bench
case " $* " in *" --no-docker "*) ;; *) scripts/start-dockerd.sh ;; esac
exec build-release/bench/pi-bench --out docs/performance.md "$@"
