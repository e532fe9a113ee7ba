#!/bin/sh
# Builds the libFuzzer targets (loader, blueprint, planner, renderer, pins,
# attached speakers (externals.json),
# BIRD control replies, ops state and impairment text, DNS replies, HTTP
# responses, what browsers send serve, MRT dumps, team SSH keys) with clang + ASan/UBSan and runs each for
# DURATION seconds (default 15: thirteen targets keep CI's total near three and a half minutes) on a scratch copy of its seed corpus,
# so the committed corpus only changes on purpose. Exits non-zero on any
# crash, leak or sanitizer report; the reproducer is left in $WORK.
#
#   tests/fuzz/run.sh [DURATION [TARGET...]]   (BUILD_DIR and WORK may be set)
set -eu
DURATION=${1:-15}
[ $# -gt 0 ] && shift
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC/build-fuzz}
WORK=${WORK:-$(mktemp -d /tmp/pi-fuzz.XXXXXX)}

# target:seed corpus:dictionary:max input length. plan and render start
# from the lab corpus (their input is a lab file); pins needs room for a
# whole plan.json (lab.yml's is 140 kB).
TARGETS="lab:lab:yaml:8192 blueprint:blueprint:yaml:8192 plan:lab:yaml:8192 render:lab:yaml:8192
pins:pins:json:160000 birdctl:birdctl:bird:8192 ops:ops:ops:8192 dns:dns:net:4096 http:http:net:16384
web:web:json:4096 mrt:mrt:mrt:16384 externals:externals:json:8192 sshkey:sshkey:sshkey:8192"
[ $# -gt 0 ] && TARGETS=$(for w in "$@"; do echo "$TARGETS" | tr ' ' '\n' | grep "^$w:"; done)

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
	CC=clang meson setup "$BUILD_DIR" "$SRC" -Dfuzz=true -Dtests=disabled \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
ninja -C "$BUILD_DIR" -j2 $(for s in $TARGETS; do echo "tests/fuzz/fuzz_${s%%:*}"; done) >/dev/null

export POCKETINTERNET_BLUEPRINTS="$SRC/blueprints"
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
status=0
for spec in $TARGETS; do
	IFS=: read -r t seeds dict maxlen <<-END
	$spec
	END
	mkdir -p "$WORK/$t"
	cp "$SRC/tests/fuzz/corpus/$seeds/"* "$WORK/$t/"
	echo "fuzz_$t: ${DURATION}s"
	if ! (cd "$WORK" && "$BUILD_DIR/tests/fuzz/fuzz_$t" -max_total_time="$DURATION" -max_len="$maxlen" \
		-timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
		-dict="$SRC/tests/fuzz/$dict.dict" "$WORK/$t" >"$WORK/$t.log" 2>&1); then
		echo "fuzz_$t FAILED; log and reproducer in $WORK" >&2
		tail -40 "$WORK/$t.log" >&2
		status=1
	else
		grep -E "stat::number_of_executed_units|cov:" "$WORK/$t.log" | tail -2
	fi
done
[ $status -eq 0 ] && rm -rf "$WORK"
exit $status
