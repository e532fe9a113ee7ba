#!/bin/sh
# Makes sure a Docker engine answers on /var/run/docker.sock (idempotent).
#   scripts/start-dockerd.sh             start dockerd unless it already answers
#   scripts/start-dockerd.sh --restart   restart it (e.g. after configure-docker
#                                        changed /etc/docker/daemon.json)
# With systemd running, it uses `systemctl start|restart docker`; without it
# (containers, CI), it runs `nohup dockerd >/var/log/dockerd.log 2>&1 &`.
# Then it waits until GET /_ping answers OK. Environment: DOCKERD_TIMEOUT
# (seconds, default 60), DOCKER_SOCK (default /var/run/docker.sock).
set -eu

SOCK=${DOCKER_SOCK:-/var/run/docker.sock}
TIMEOUT=${DOCKERD_TIMEOUT:-60}
LOG=/var/log/dockerd.log
PIDFILE=/var/run/docker.pid
RESTART=0

case "${1:-}" in
--restart) RESTART=1 ;;
"") ;;
-h | --help)
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: $0 [--restart]" >&2
	exit 2
	;;
esac

ping_ok() {
	[ -S "$SOCK" ] && [ "$(curl -fsS --max-time 3 --unix-socket "$SOCK" http://localhost/_ping 2>/dev/null)" = OK ]
}

have_systemd() {
	[ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1
}

wait_gone() {
	# dockerd removes its pid file on a clean exit.
	i=0
	while [ -e "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE" 2>/dev/null || echo 0)" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt $((TIMEOUT * 2)) ]; then
			echo "start-dockerd: dockerd (pid $(cat "$PIDFILE")) did not stop within ${TIMEOUT}s" >&2
			exit 1
		fi
		sleep 0.5
	done
}

if [ "$RESTART" = 0 ] && ping_ok; then
	echo "start-dockerd: the engine already answers on $SOCK"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "start-dockerd: starting dockerd needs root: run sudo $0" >&2
	exit 1
fi
if ! command -v dockerd >/dev/null 2>&1; then
	echo "start-dockerd: dockerd is not installed: run scripts/install-deps.sh (apt-get install docker.io)" >&2
	exit 1
fi

if have_systemd; then
	if [ "$RESTART" = 1 ]; then
		echo "start-dockerd: systemctl restart docker"
		systemctl restart docker
	else
		echo "start-dockerd: systemctl start docker"
		systemctl start docker
	fi
else
	if [ "$RESTART" = 1 ] && [ -e "$PIDFILE" ]; then
		pid=$(cat "$PIDFILE")
		if kill -0 "$pid" 2>/dev/null; then
			echo "start-dockerd: stopping dockerd (pid $pid)"
			kill "$pid"
			wait_gone
		fi
	fi
	# A pid file left by a crashed dockerd would stop a new one from starting.
	if [ -e "$PIDFILE" ] && ! kill -0 "$(cat "$PIDFILE" 2>/dev/null || echo 0)" 2>/dev/null; then
		rm -f "$PIDFILE"
	fi
	if [ -e "$PIDFILE" ]; then
		echo "start-dockerd: dockerd (pid $(cat "$PIDFILE")) runs but $SOCK does not answer yet; waiting"
	else
		echo "start-dockerd: nohup dockerd >$LOG 2>&1 &"
		nohup dockerd >>"$LOG" 2>&1 &
	fi
fi

i=0
until ping_ok; do
	i=$((i + 1))
	if [ "$i" -gt $((TIMEOUT * 2)) ]; then
		echo "start-dockerd: the engine did not answer on $SOCK within ${TIMEOUT}s" >&2
		if have_systemd; then
			echo "  see: journalctl -u docker --no-pager | tail -50" >&2
		else
			echo "  see: tail -50 $LOG" >&2
			tail -20 "$LOG" >&2 || true
		fi
		exit 1
	fi
	sleep 0.5
done
echo "start-dockerd: the engine answers on $SOCK (after $((i / 2))s)"
