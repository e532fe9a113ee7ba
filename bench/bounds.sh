#!/bin/sh
# Bounded cost for hostile or huge lab files (docs/performance.md, "Bounded
# cost"): each input is planned by the release binary under /usr/bin/time,
# and its wall time, peak memory and exit status are printed as a table row.
# Targets: a lab file up to 16 MB plans within 10 s and 2 GiB, or is refused
# within 1 s with an error naming the limit. Not part of CI.
# Usage: bench/bounds.sh [BUILD_DIR]   (default build-release, made if missing)
set -eu
cd "$(dirname "$0")/.."
b=${1:-build-release}
[ -d "$b" ] || meson setup "$b" --buildtype=release -Dtests=disabled >/dev/null
ninja -C "$b" pocketinternet >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

printf 'name: clique\nseed: 1\npods: {transit: 20000}\n' > "$tmp/clique.yml"
printf 'name: big\nseed: 1\npods: {transit: 440}\n' > "$tmp/transit440.yml"
printf 'name: wide\nseed: 1\npods: {transit: 2, content: 19000}\n' > "$tmp/content19000.yml"
{
	printf 'name: anchors\nseed: 1\npods: {transit: 2}\nx:\n'
	i=0
	while [ $i -lt 100000 ]; do printf '  - &a%d %d\n' $i $i; i=$((i + 1)); done
	printf 'y:\n'
	i=0
	while [ $i -lt 100000 ]; do printf '  - *a%d\n' $i; i=$((i + 1)); done
} > "$tmp/anchors.yml"
head -c 16777216 /dev/zero | tr '\0' '#' > "$tmp/comment16m.yml"

printf '| input | size | plan output | exit | wall s | peak MiB | first line of stderr |\n|---|---|---|---|---|---|---|\n'
for run in clique:text transit440:text transit440:json content19000:text anchors:text comment16m:text; do
	f=${run%%:*}
	fmt=${run#*:}
	set +e
	/usr/bin/time -f '%e %M' -o "$tmp/t" "$b/pocketinternet" -c "$tmp/$f.yml" plan --format "$fmt" \
		>/dev/null 2>"$tmp/err"
	rc=$?
	set -e
	read -r wall kb <<EOF2
$(tail -n 1 "$tmp/t")
EOF2
	size=$(stat -c %s "$tmp/$f.yml")
	msg=$(grep -v '^Command exited' "$tmp/err" | head -1 | cut -c1-90 | sed "s|$tmp/||")
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$f" "$size" "$fmt" "$rc" "$wall" "$((kb / 1024))" "$msg"
done
