#!/bin/sh
# Builds the libFuzzer targets (loader, blueprint, planner, renderer) with
# clang + ASan/UBSan and runs each for DURATION seconds (default 30: CI's
# total stays at two minutes) on a scratch copy of the seed corpus, so
# the committed corpus only changes on purpose. Exits non-zero on any crash,
# leak or sanitizer report; the reproducer is left in $WORK.
#
#   tests/fuzz/run.sh [DURATION]     (BUILD_DIR and WORK may be set)
set -eu
DURATION=${1:-30}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC/build-fuzz}
WORK=${WORK:-$(mktemp -d /tmp/pi-fuzz.XXXXXX)}

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
	CC=clang meson setup "$BUILD_DIR" "$SRC" -Dfuzz=true -Dtests=disabled \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$BUILD_DIR" -j2 tests/fuzz/fuzz_lab tests/fuzz/fuzz_blueprint tests/fuzz/fuzz_plan \
	tests/fuzz/fuzz_render tests/fuzz/fuzz_dns tests/fuzz/fuzz_http >/dev/null

export POCKETINTERNET_BLUEPRINTS="$SRC/blueprints"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
for t in lab blueprint plan render dns http; do
	# plan and render start from the lab corpus: their input is a lab file.
	seeds=$t
	[ "$t" = plan ] || [ "$t" = render ] && seeds=lab
	mkdir -p "$WORK/$t"
	cp "$SRC/tests/fuzz/corpus/$seeds/"* "$WORK/$t/"
	echo "fuzz_$t: ${DURATION}s"
	if ! (cd "$WORK" && "$BUILD_DIR/tests/fuzz/fuzz_$t" -max_total_time="$DURATION" -max_len=8192 \
		-timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
		-dict="$SRC/tests/fuzz/yaml.dict" "$WORK/$t" >"$WORK/$t.log" 2>&1); then
		echo "fuzz_$t FAILED; log and reproducer in $WORK" >&2
		tail -40 "$WORK/$t.log" >&2
		status=1
	else
		grep -E "stat::number_of_executed_units|cov:" "$WORK/$t.log" | tail -2
	fi
done
[ $status -eq 0 ] && rm -rf "$WORK"
exit $status
