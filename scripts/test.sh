#!/bin/sh
# The whole test suite, from a fresh Debian 12 machine (as root):
#   installs what is missing, starts the Docker engine, builds, runs every
#   meson test suite (unit, golden, daemon checkers, netlink, Docker, e2e),
#   repeats the pure suites under ASan+UBSan and valgrind, and fuzzes the
#   parsers of outside input for a bounded time.
# Environment: FUZZ_SECONDS per fuzz target (default 15; nine targets), PI_SKIP_E2E=1 to leave out the
# suites that need Docker (for a quick local run; CI never sets it).
set -eu
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
PURE_SUITES="--suite util --suite model --suite plan --suite render --suite runtime --suite apply --suite cli"

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
scripts/install-deps.sh

if [ "${PI_SKIP_E2E:-0}" != 1 ]; then
	step "Docker engine"
	scripts/start-dockerd.sh
fi

step "build (warnings are errors)"
[ -d build ] || meson setup build -Dwerror=true
ninja -C build

if [ "${PI_SKIP_E2E:-0}" != 1 ]; then
	step "keep Docker's own networks out of every lab's space"
	# One run covers all shipped labs: it always avoids 10/8, 100.64/10 and
	# 172.16/12 (the original format's backbone) besides the given lab.
	before=$(cat /etc/docker/daemon.json 2>/dev/null || true)
	build/pocketinternet -c labs/original-sample.yml configure-docker --no-restart
	if [ "$before" != "$(cat /etc/docker/daemon.json 2>/dev/null || true)" ]; then
		scripts/start-dockerd.sh --restart
	fi
fi

step "all test suites"
if [ "${PI_SKIP_E2E:-0}" = 1 ]; then
	meson test -C build --print-errorlogs --no-suite docker --no-suite e2e
else
	meson test -C build --print-errorlogs --timeout-multiplier 3
fi

step "ASan + UBSan build of the pure suites"
[ -d build-asan ] || meson setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-asan
# shellcheck disable=SC2086
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --print-errorlogs --timeout-multiplier 3 $PURE_SUITES

step "valgrind on the pure suites"
# shellcheck disable=SC2086
meson test -C build --print-errorlogs $PURE_SUITES \
	--wrap="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --quiet --suppressions=$PWD/tests/valgrind.supp" \
	--timeout-multiplier 10

step "valgrind on the binary: plan and render of every shipped lab"
tmp=$(mktemp -d)
for lab in labs/*.yml; do
	valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --quiet \
		build/pocketinternet -c "$lab" render -o "$tmp/$(basename "$lab" .yml)" >/dev/null
	valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --quiet \
		build/pocketinternet -c "$lab" plan --format json >/dev/null
	echo "  $lab: clean"
done
rm -rf "$tmp"

step "fuzz loader, planner, renderer, pins, BIRD replies, ops state, DNS and HTTP replies for ${FUZZ_SECONDS}s each"
tests/fuzz/run.sh "$FUZZ_SECONDS"

step "all tests passed"
