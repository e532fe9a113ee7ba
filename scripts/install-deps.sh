#!/bin/sh
# Installs every Debian package pocketinternet needs to build, test and run
# labs. Safe to run any number of times: apt-get skips what is installed.
#   scripts/install-deps.sh          build + test + runtime packages
#   scripts/install-deps.sh --build  only what building needs
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: run as root (sudo $0)" >&2
	exit 2
fi

BUILD="build-essential meson ninja-build pkg-config clang libclang-rt-14-dev valgrind
libyaml-dev libmnl-dev libcurl4-openssl-dev libjansson-dev libcmocka-dev libpcap-dev
libbpf-dev python3
libwebsockets-dev libsodium-dev libjs-xterm node-xterm libcrypt-dev"
# libcrypt-dev: yescrypt hashes of the teams' SSH passwords (crypt_r).
# node-xterm: libjs-xterm's xterm.js is a CommonJS stub that cannot run in a
# page; web/xterm_bundle.py bundles node-xterm's modules of the same release.
# The daemons' own checkers validate every rendered config in the tests.
CHECKERS="bird2 unbound dnsmasq-base nftables tayga lighttpd iproute2 graphviz"
# tshark reads back the captures the tests write (pcapng, streamed).
CHECKERS="$CHECKERS tshark"
# The browser test drives headless Chromium over WebDriver (chromedriver);
# bgpdump reads MRT RIB dumps for table injection.
CHECKERS="$CHECKERS chromium chromium-driver bgpdump"
# stayrtr loads the rendered VRPs (vrps.json) of the RPKI cache in the checkers,
# as it does in the node image.
CHECKERS="$CHECKERS stayrtr"
# External speakers' starting configs are checked by the speakers themselves
# (exabgp --validate, gobgpd -d, vtysh -C: tests/render/test_speaker.c).
CHECKERS="$CHECKERS gobgpd exabgp frr"
# The teams SSH test logs in through the ssh-gateway with ssh and ssh-keygen
# (openssh-client only: the host's own sshd is never needed; the render test
# runs `sshd -t` when an sshd is present, e.g. PI_SSHD from an unpacked .deb).
CHECKERS="$CHECKERS openssh-client"
# The Docker engine, and debootstrap for building the base image without a registry.
RUNTIME="docker.io debootstrap ca-certificates curl"

pkgs="$BUILD"
if [ "${1:-}" != "--build" ]; then
	pkgs="$pkgs $CHECKERS $RUNTIME"
fi

# The checker of the rendered sshd_config (tests/render/test_sshd.c) is
# `sshd -t` from openssh-server, unpacked and never installed: installing it
# would start an sshd on the host, and the tool must not touch the host's.
SSHD_DIR=/opt/pocketinternet/sshd
unpack_sshd() {
	[ "${1:-}" != "--build" ] || return 0
	[ ! -x "$SSHD_DIR/usr/sbin/sshd" ] || return 0
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q openssh-server libwrap0 >/dev/null 2>&1) || apt-get update -q
	(cd "$tmp" && ls ./*.deb >/dev/null 2>&1) || (cd "$tmp" && apt-get download -q openssh-server libwrap0)
	mkdir -p "$SSHD_DIR"
	for d in "$tmp"/*.deb; do dpkg-deb -x "$d" "$SSHD_DIR"; done
	rm -rf "$tmp"
	echo "install-deps: sshd (for its config checker) unpacked in $SSHD_DIR"
}

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	unpack_sshd "${1:-}"
	exit 0
fi
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
# Debian starts daemons from packages; lab nodes run their own copies in
# containers, and a host bird/unbound/dnsmasq (or the BGP speakers, installed
# here only for their config checkers) would only get in the way.
for svc in bird unbound dnsmasq lighttpd frr gobgpd exabgp; do
	if [ -d /run/systemd/system ]; then
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	fi
done
echo "install-deps: done"
unpack_sshd "${1:-}"
