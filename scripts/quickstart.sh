#!/bin/sh
# From a fresh Debian 12 machine (as root) to a running pocket Internet:
# installs what is missing, builds, starts the Docker engine, moves Docker's
# own address pools out of the lab's way, and brings up the lab.
#   scripts/quickstart.sh [LAB.yml]     (default: labs/lab.yml)
set -eu
cd "$(dirname "$0")/.."
LAB=${1:-labs/lab.yml}

scripts/install-deps.sh
[ -d build ] || meson setup build
ninja -C build
scripts/start-dockerd.sh
build/pocketinternet -c "$LAB" configure-docker --no-restart
scripts/start-dockerd.sh --restart
build/pocketinternet -c "$LAB" setup
