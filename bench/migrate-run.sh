#!/bin/bash
# Live-migration benchmark: vmd beside QEMU in one run, on the project's test guest.
# Usage: bench/migrate-run.sh [--rounds N (3)] [--memory MiB (1024)] [--rate MiB/s (64)]
#                             [--dirty-mib N (256)] [--no-build] [--keep]
# Prints a Markdown table on stdout (medians over N rounds, min..max, vmd / QEMU ratios);
# progress on stderr. Root only (KVM, a network namespace of its own, vmdbench-migrate,
# where everything talks over loopback; deleted at the end).
#
# The guest (guest/dirty.c) fills --dirty-mib MiB of its memory, prints "dirty: running",
# then rewrites a word of one page after another at --rate MiB/s of pages until a key.
#  vmd:  two daemons (their own vm.conf and sockets), the VM running on the first and
#        declared `disable`d on the second; `vmctl receive -l 127.0.0.1:PORT` on the
#        second, `vmctl send -l 127.0.0.1:PORT` on the first; the figures are the
#        source vm process's: total from the destination's first answer (its vm process
#        is up) to its last, downtime from the vCPUs' pause to the destination's "runs".
#  QEMU: qemu-system-x86_64 -accel kvm -M q35 with the same guest and command line, a
#        second one with -incoming tcp:127.0.0.1:PORT, QMP migrate; total-time and
#        downtime from query-migrate. Both use a 300 ms downtime budget (QEMU's default).
# Each round ends by typing a key on the destination's console: the guest must answer
# "VMDTEST OK dirty" there, i.e. it runs after the move.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
build=1 keep=0 args=()
usage() { echo "usage: bench/migrate-run.sh [--rounds N] [--memory MiB] [--rate MiB/s] [--dirty-mib N] [--no-build] [--keep]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds|--memory|--rate|--dirty-mib) [ $# -ge 2 ] || usage; args+=("$1" "$2"); shift ;;
	--no-build) build=0 ;;
	--keep) keep=1 ;;
	*) usage ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "bench/migrate-run.sh: needs root (KVM, a network namespace)" >&2; exit 1; }
[ -c /dev/kvm ] || { echo "bench/migrate-run.sh: no /dev/kvm" >&2; exit 1; }
for tool in qemu-system-x86_64 python3 ip; do
	command -v "$tool" >/dev/null || { echo "bench/migrate-run.sh: $tool not found" >&2; exit 1; }
done
if [ "$build" = 1 ]; then (cd "$ROOT" && JAVA_HOME=$("$ROOT/scripts/java-home.sh") mvn -o -q package -DskipTests) >&2; fi
[ -x "$ROOT/build/vmd/bin/vmd" ] && [ -x "$ROOT/build/vmd/bin/vmctl" ] ||
	{ echo "bench/migrate-run.sh: no $ROOT/build/vmd/bin/vmd or vmctl; build first (mvn package)" >&2; exit 1; }
guest=$ROOT/guest/build/vmd-testguest
[ -f "$guest" ] || make -s -C "$ROOT/guest" >&2

work=$(mktemp -d /tmp/vmd-migratebench.XXXXXX)
chmod 755 "$work"
NS=vmdbench-migrate
status=1
cleanup() {
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	if [ "$keep" = 1 ] || [ "$status" != 0 ]; then echo "bench/migrate-run.sh: logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
ip -n "$NS" link set lo up

set +e
python3 "$ROOT/bench/migrate/bench.py" --vmd "$ROOT/build/vmd/bin/vmd" --vmctl "$ROOT/build/vmd/bin/vmctl" \
	--guest "$guest" --work "$work" --netns "$NS" "${args[@]}"
status=$?
set -e
[ "$status" = 0 ] || echo "bench/migrate-run.sh: failed (exit $status)" >&2
exit "$status"
