#!/bin/sh
# One command for every figure in docs/performance.md (as root, Docker up):
#   bench/run.sh [--sizes 10,30,100] [--plan-sizes 1000,10000] [--no-docker]
# It builds a release binary, runs pi-bench and rewrites the measured
# section of docs/performance.md; then (with Docker) pi-bench-ops prints
# the table of "Operations: reroute and reconcile" for the 30-pod lab.
set -eu
cd "$(dirname "$0")/.."
[ -d build-release ] || meson setup build-release --buildtype=release -Dtests=disabled
ninja -C build-release bench/pi-bench bench/pi-bench-ops
case " $* " in *" --no-docker "*) ;; *) scripts/start-dockerd.sh ;; esac
build-release/bench/pi-bench --out docs/performance.md "$@"
case " $* " in *" --no-docker "*) ;; *) build-release/bench/pi-bench-ops --pods 30 ;; esac
