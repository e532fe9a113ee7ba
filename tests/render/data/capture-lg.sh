#!/bin/sh
# Captured tests/render/data/bird-lg-*.txt (run as root: capture-lg.sh DIR).
# Captures BIRD 2 replies for the looking-glass tests: router x (AS 65002)
# learns routes from a (AS 65001, customer, two sessions), b (AS 65003, peer),
# c (AS 65004, peer) and d (AS 65002, iBGP). Each scenario prefix is decided by
# one criterion of BIRD's order. Throwaway netns pitest-hJ-*; root only.
set -eu
OUT=${1:-.}
W=$(mktemp -d)
NS="x a b c d"
cleanup() {
	for n in $NS; do
		[ -f "$W/$n.pid" ] && kill "$(cat "$W/$n.pid")" 2>/dev/null || true
		ip netns del "pitest-hJ-$n" 2>/dev/null || true
	done
	rm -rf "$W"
}
trap cleanup EXIT
for n in $NS; do ip netns add "pitest-hJ-$n"; ip -n "pitest-hJ-$n" link set lo up; done
# x--a twice (two sessions to one AS), x--b, x--c, x--d
link() { # name-in-x peer-ns name-in-peer xaddr peeraddr
	ip link add "$1" netns pitest-hJ-x type veth peer name "$3" netns "pitest-hJ-$2"
	ip -n pitest-hJ-x addr add "$4/31" dev "$1"; ip -n pitest-hJ-x link set "$1" up
	ip -n "pitest-hJ-$2" addr add "$5/31" dev "$3"; ip -n "pitest-hJ-$2" link set "$3" up
}
link xa1 a ax1 10.9.0.0 10.9.0.1
link xa2 a ax2 10.9.0.2 10.9.0.3
link xb b bx 10.9.0.4 10.9.0.5
link xc c cx 10.9.0.6 10.9.0.7
link xd d dx 10.9.0.8 10.9.0.9

cat > "$W/x.conf" <<'C'
router id 10.255.0.2;
protocol direct { ipv4; }
protocol device {}
define MY_AS = 65002;
function rel_of(int kind; int lp) {
	bgp_large_community.delete([(MY_AS, 1, *)]);
	bgp_large_community.add((MY_AS, 1, kind));
	bgp_local_pref = lp;
	return true;
}
template bgp eb { local as 65002; ipv4 { export none; }; }
protocol bgp ebgp_x_a_v4 from eb { neighbor 10.9.0.1 as 65001; ipv4 { import where rel_of(1, 200); }; }
protocol bgp ebgp_x_a2_v4 from eb { neighbor 10.9.0.3 as 65001; ipv4 { import where rel_of(1, 200); }; }
protocol bgp ebgp_x_b_v4 from eb { neighbor 10.9.0.5 as 65003; ipv4 { import where rel_of(2, 100); }; }
protocol bgp ebgp_x_c_v4 from eb { neighbor 10.9.0.7 as 65004; ipv4 { import where rel_of(2, 100); }; }
protocol bgp ibgp_x_d_v4 { local as 65002; neighbor 10.9.0.9 as 65002; ipv4 { import all; export none; }; }
C
# a: customer; 10.1/16 (loses to nothing: lp), 10.5/16 MED 10 over a1, MED 20 over a2;
# 10.6/16 identical over both (neighbour address decides)
cat > "$W/a.conf" <<'C'
router id 10.255.0.1;
protocol device {}
protocol static o4 { ipv4; route 10.1.0.0/16 unreachable; route 10.5.0.0/16 unreachable; route 10.6.0.0/16 unreachable; }
protocol bgp a1 { local as 65001; neighbor 10.9.0.0 as 65002; ipv4 { import none;
	export filter { if net = 10.5.0.0/16 then bgp_med = 10; bgp_large_community.add((65001, 1, 2)); accept; }; }; }
protocol bgp a2 { local as 65001; neighbor 10.9.0.2 as 65002; ipv4 { import none;
	export filter { if net = 10.5.0.0/16 then bgp_med = 20; bgp_large_community.add((65001, 1, 2)); accept; }; }; }
C
# b: peer; 10.1/16 via 65001 (loses on lp), 10.2/16 (wins on path length),
# 10.4/16 origin IGP (wins on origin), 10.7/16 (wins eBGP over iBGP), 10.8/16 (wins on router id)
cat > "$W/b.conf" <<'C'
router id 10.255.0.3;
protocol device {}
protocol static o4 { ipv4; route 10.1.0.0/16 unreachable; route 10.2.0.0/16 unreachable; route 10.4.0.0/16 unreachable;
	route 10.7.0.0/16 unreachable; route 10.8.0.0/16 unreachable; }
protocol bgp b { local as 65003; neighbor 10.9.0.4 as 65002; ipv4 { import none;
	export filter { if net = 10.1.0.0/16 then bgp_path.prepend(65001); bgp_community.add((65003, 666)); accept; }; }; }
C
# c: peer; 10.2/16 prepended (loses on path length), 10.4/16 origin incomplete (loses on origin),
# 10.8/16 (loses on router id: 10.255.0.4 > 10.255.0.3)
cat > "$W/c.conf" <<'C'
router id 10.255.0.4;
protocol device {}
protocol static o4 { ipv4; route 10.2.0.0/16 unreachable; route 10.4.0.0/16 unreachable; route 10.8.0.0/16 unreachable; }
protocol bgp c { local as 65004; neighbor 10.9.0.6 as 65002; ipv4 { import none;
	export filter { if net = 10.2.0.0/16 then bgp_path.prepend(65004);
		if net = 10.4.0.0/16 then bgp_origin = ORIGIN_INCOMPLETE; accept; }; }; }
C
# d: iBGP; 10.7/16 with path 65003 and local pref 100 (loses: iBGP)
cat > "$W/d.conf" <<'C'
router id 10.255.0.5;
protocol device {}
protocol static o4 { ipv4; route 10.7.0.0/16 unreachable; }
protocol bgp d { local as 65002; neighbor 10.9.0.8 as 65002; ipv4 { import none;
	export filter { bgp_path.prepend(65003); bgp_local_pref = 100; bgp_large_community.add((65002, 1, 2)); accept; }; }; }
C
for n in $NS; do
	ip netns exec "pitest-hJ-$n" bird -c "$W/$n.conf" -s "$W/$n.ctl" -P "$W/$n.pid"
done
# Wait for all five sessions at x.
for i in $(seq 1 60); do
	n=$(birdc -s "$W/x.ctl" show protocols | grep -c Established || true)
	[ "$n" -ge 5 ] && break
	sleep 1
done
sleep 2
# Raw replies with codes, as the control socket gives them.
python3 - "$W/x.ctl" "$OUT" <<'P'
import socket, sys
ctl, out = sys.argv[1], sys.argv[2]
def ask(cmd):
    s = socket.socket(socket.AF_UNIX); s.connect(ctl)
    buf = b""
    def done(b):
        for l in b.split(b"\n")[:-1]:
            if len(l) >= 5 and l[:4].isdigit() and l[4:5] == b" ":
                return True
        return False
    while not done(buf): buf += s.recv(65536)
    s.sendall(cmd.encode() + b"\n"); buf = b""
    while not done(buf): buf += s.recv(65536)
    s.close(); return buf
open(out + "/bird-lg-show-route-all.txt", "wb").write(ask("show route all"))
open(out + "/bird-lg-show-route-for-addr.txt", "wb").write(ask("show route all for 10.5.1.1"))
open(out + "/bird-lg-show-protocols-all.txt", "wb").write(ask("show protocols all"))
P
