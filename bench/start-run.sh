#!/bin/bash
# Start-up and footprint benchmark: vmd side by side with QEMU -accel kvm, in one run, on
# the project's test guest (guest/, a bzImage that prints "VMDTEST READY" on COM1).
# Usage: bench/start-run.sh [--rounds N (5)] [--no-build] [--keep] [--no-spare] [--vms N (3)] [--machine q35|pc]
# Prints a Markdown table on stdout (medians over N rounds, min..max ranges, ours / QEMU
# ratios); progress on stderr; logs and consoles in a private work dir under /tmp (removed
# at the end unless --keep, or kept when the run fails). Root only (KVM, taps); the taps
# live in a network namespace of its own (vmdbench-start), deleted at the end.
#
# What is measured (bench/start/bench.py does the work; every time is the wall clock, which
# is also what vmd's log lines carry, so log events and host-side events compare to ~1 ms):
#  1. spawn to READY. vmd: a running `vmd -d -v` (its own socket, vm.conf in the work dir)
#     with the VM declared `disable`d; from the exec of `vmctl start NAME` to the chunk
#     holding "VMDTEST READY" arriving on the VM's console pty (opened as soon as vmctl
#     returns; the pty keeps earlier output, and a late attach is detected and reported).
#     It includes the vioblk and vionet process spawns, which are part of a vmd VM's start.
#     Also from vmd's receipt of the request (the control process's "peer N connected" log
#     line), i.e. without vmctl's own JVM start-up. QEMU: qemu-storage-daemon already
#     running (as a user would have it), from the exec of qemu-system-x86_64 to READY on
#     its serial (stdio pipe); SeaBIOS + linuxboot ROM are part of QEMU's -kernel boot.
#  2. device restart (vmd only): with the guest up, SIGKILL of the VM's vioblk process
#     (by pid: the child of our vmd whose command line says vmd.process=vioblk NAME/disk0),
#     to the vm process's log line "vioblk0: reconnected to the vhost-user back-end": the
#     successor has been spawned, has mapped guest memory and has had the rings replayed,
#     i.e. it serves guest I/O from then on. Cross-checked from the guest: `blk` is typed
#     right after the kill, and the time to "VMDTEST OK blk" minus the same command's time
#     without a kill (the baseline, measured just before) is the I/O stall the guest saw.
#  3. RSS and PSS per process from /proc/PID/smaps, summed over all mappings except those
#     named /memfd:* (the guest-RAM mapping; reported separately), from 5 s after READY
#     and a `blk`, the median of 7 samples 0.5 s apart: vmd's vm, vioblk and vionet processes (the VM has a disk and a `local
#     interface`), the parent and control processes for information; QEMU's qemu-system
#     (with its virtio-net tap back-end inside) and qemu-storage-daemon. "Total per VM"
#     is vm + vioblk + vionet against qemu-system + qsd.
#  3b. the same with --vms N (3) VMs running at once, then as many QEMU VMs, each with a
#     qsd of its own: the sum over all their processes divided by N, the cost of a VM on
#     a host that runs several (processes of a kind share what they map from one file).
#  4. the same restart with vm.conf's `spare devices` (after the rounds above, by `vmctl
#     reload`): SIGKILL of vioblk to "reconnected", now served by the warm spare process, and
#     the memory the idle spares (one vioblk, one vionet per host) cost.
# Each round starts a VM of its own (sb-rN): vmd's restart budget (3 per minute) belongs to
# a VM and survives its restarts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
build=1 rounds=5 keep=0 machine=q35 spare="" vms=3
usage() { echo "usage: bench/start-run.sh [--rounds N] [--no-build] [--keep] [--no-spare] [--vms N] [--machine q35|pc]" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) [ $# -ge 2 ] || usage; rounds=$2; shift ;;
	--no-build) build=0 ;;
	--keep) keep=1 ;;
	--no-spare) spare=--no-spare ;;
	--vms) shift; vms=${1:-} ;;
	--machine) [ $# -ge 2 ] || usage; machine=$2; shift ;;
	-h|--help) usage ;;
	*) usage ;;
	esac
	shift
done
case "$rounds" in ''|*[!0-9]*|0) echo "bench/start-run.sh: --rounds wants a positive number" >&2; exit 2 ;; esac
case "$vms" in ''|*[!0-9]*) echo "bench/start-run.sh: --vms wants a number (0 skips the several-VM footprint)" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "bench/start-run.sh: needs root (KVM, taps, a network namespace)" >&2; exit 1; }
[ -c /dev/kvm ] || { echo "bench/start-run.sh: no /dev/kvm" >&2; exit 1; }
for tool in qemu-system-x86_64 qemu-storage-daemon python3 ip; do
	command -v "$tool" >/dev/null || { echo "bench/start-run.sh: $tool not found" >&2; exit 1; }
done
if [ "$build" = 1 ]; then (cd "$ROOT" && JAVA_HOME=$("$ROOT/scripts/java-home.sh") mvn -o -q package -DskipTests) >&2; fi
[ -x "$ROOT/build/vmd/bin/vmd" ] && [ -x "$ROOT/build/vmd/bin/vmctl" ] ||
	{ echo "bench/start-run.sh: no $ROOT/build/vmd/bin/vmd or vmctl; build first (mvn package)" >&2; exit 1; }

work=$(mktemp -d /tmp/vmd-startbench.XXXXXX)
chmod 755 "$work"
NS=vmdbench-start
status=1
cleanup() {
	# bench.py stops what it started; this is the backstop if it died. Only our own pids,
	# checked against their command lines before any signal.
	local f pid
	for f in "$work/qemu.pid" "$work/daemon.pid" "$work/qsd.pid" "$work"/qemu-f*.pid "$work"/qsd-f*.pid; do
		[ -s "$f" ] || continue
		pid=$(head -1 "$f")
		if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -e "$work"; then
			echo "bench/start-run.sh: stopping leftover pid $pid" >&2
			kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	if [ -s "$work/children.pids" ]; then
		while read -r pid; do
			if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -E -e '-Dvmd\.process=.* (sb-r|sp-r|fl-)'; then
				kill -KILL "$pid" 2>/dev/null || true
			fi
		done < "$work/children.pids"
	fi
	ip netns del "$NS" 2>/dev/null || true
	if [ "$keep" = 1 ] || [ "$status" != 0 ]; then
		echo "bench/start-run.sh: logs kept in $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The test guest: the tree's own build, the distribution's copy, or a scratch build.
guest=""
for g in "$ROOT/guest/build/vmd-testguest" "$ROOT/build/vmd/share/vmd-testguest"; do
	[ -f "$g" ] && { guest=$g; break; }
done
if [ -z "$guest" ]; then
	echo "bench/start-run.sh: building the test guest in $work/guest" >&2
	cp -r "$ROOT/guest" "$work/guest"
	rm -rf "$work/guest/build"
	make -s -C "$work/guest" >&2
	guest="$work/guest/build/vmd-testguest"
fi

ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
ip -n "$NS" link set lo up

set +e
python3 "$ROOT/bench/start/bench.py" --root "$ROOT" --work "$work" --guest "$guest" --netns "$NS" \
	--rounds "$rounds" --machine "$machine" --vms "$vms" $spare
status=$?
set -e
[ "$status" = 0 ] || echo "bench/start-run.sh: failed (exit $status)" >&2
exit "$status"
