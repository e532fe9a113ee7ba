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
# Restart the engine only when configure-docker changed its configuration:
# a restart stops every other container on this host too.
before=$(cat /etc/docker/daemon.json 2>/dev/null || true)
build/pocketinternet -c "$LAB" configure-docker --no-restart
if [ "$before" != "$(cat /etc/docker/daemon.json 2>/dev/null || true)" ]; then
	scripts/start-dockerd.sh --restart
fi
build/pocketinternet -c "$LAB" setup
echo
echo "The binary is build/pocketinternet; 'ninja -C build install' puts pocketinternet on your PATH."
