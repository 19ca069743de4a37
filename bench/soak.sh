#!/bin/sh
# Device-kill soak: the test guest's write/flush/verify loop (blksoak) on a raw and a
# qcow2 disk, and its UDP echo transfer (netsoak) over a local interface, while the
# vioblk or vionet process is SIGKILLed at random moments, N times each (default 100);
# then the vm process itself is killed under a running daemon with a second VM beside it.
# Prints per device: kills, restarts, guest-visible I/O errors, mismatches (a flushed
# write lost shows as one), respawn and guest-stall p50/p99. Root, /dev/kvm, /dev/net/tun.
#
#   bench/soak.sh [--kills N] [--no-build] [--log FILE]
set -eu
cd "$(dirname "$0")/.."
kills=100 build=1 log=${TMPDIR:-/tmp}/vmd-soak.log
while [ $# -gt 0 ]; do
	case $1 in
	--kills) kills=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	--log) log=$2; shift 2 ;;
	*) echo "usage: bench/soak.sh [--kills N] [--no-build] [--log FILE]" >&2; exit 2 ;;
	esac
done
JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
export JAVA_HOME
[ "$build" = 1 ] && mvn -B -q -o install -DskipTests
start=$(date +%s)
status=0
VMD_SOAK_KILLS=$kills mvn -B -o surefire:test -pl vmd-parent \
	-Dtest='DeviceKillSoakTest,VmdEndToEndTest#aKilledVmProcessTakesOnlyItsOwnDevices' >"$log" 2>&1 || status=$?
echo "soak: $kills kills per device, $(( $(date +%s) - start )) s (log: $log)"
grep -a -E '^(soak |vm kill:)' "$log" || true
grep -a -E 'Tests run:.*Fail' "$log" | tail -n 1
[ "$status" = 0 ] || { echo "soak: FAILED (see $log)" >&2; exit 1; }
