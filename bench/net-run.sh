#!/bin/bash
# Benchmark our vionet back-end against QEMU's built-in virtio-net on a tap, under the same
# Linux guest (QEMU TCG, the test guest of scripts/guest-images.sh with the bench-net
# scenario of bench/net/ appended to its initramfs), in one run: one guest per back-end,
# both running, measured in turn round by round. Root only: it creates two network
# namespaces (vmdbench-netv, vmdbench-netq), a tap in each; nothing outside them.
# Usage: bench/net-run.sh [--no-build] [--mb N (32)] [--udp-seconds S (3)] [--rounds N (5)] [--dir DIR]
# Prints a Markdown table on stdout (progress on stderr). See bench/README.md ("vionet").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
build=1 mb=32 udp=3 rounds=5 dir=""
while [ $# -gt 0 ]; do
	case "$1" in
	--no-build) build=0 ;;
	--mb) mb=$2; shift ;;
	--udp-seconds) udp=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--dir) dir=$2; shift ;;
	*) echo "usage: bench/net-run.sh [--no-build] [--mb N] [--udp-seconds S] [--rounds N] [--dir DIR]" >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "bench/net-run.sh: needs root (netns, tap)" >&2; exit 1; }
IMAGES=${VMD_GUEST_IMAGES:-/var/cache/vmd/guest-images}
[ -f "$IMAGES/vmlinuz" ] && [ -f "$IMAGES/initramfs.cpio.gz" ] ||
	{ echo "bench/net-run.sh: no guest images in $IMAGES (run scripts/guest-images.sh)" >&2; exit 1; }
QEMU=/usr/bin/qemu-system-x86_64
if [ "$build" = 1 ]; then (cd "$ROOT" && JAVA_HOME=$("$ROOT/scripts/java-home.sh") mvn -o -q package -DskipTests) >&2; fi
VMD_HOME="$ROOT/build/vmd"
[ -d "$VMD_HOME/lib" ] || { echo "bench: no $VMD_HOME/lib; build first" >&2; exit 1; }
set +u; . "$VMD_HOME/bin/vmd-env"; set -u
# vionet gets the flags and AOT cache vmd gives a vionet process.
VIONET_FLAGS=$($JAVA $VMD_JVM_FLAGS -cp "$VMD_CP" vmd.proc.ChildJvmFlags vionet)
VIONET_CP=$($JAVA $VMD_JVM_FLAGS -cp "$VMD_CP" vmd.proc.ChildJvmFlags --class-path vionet)

[ -n "$dir" ] || dir=$(mktemp -d /tmp/vmd-netbench.XXXXXX)
mkdir -p "$dir"
# Each back-end has a network namespace, a tap and a guest of its own, with the same
# addresses; both guests run at once and take turns round by round (bench/net/server.py).
NSV=vmdbench-netv NSQ=vmdbench-netq TAP=vmdbt0 HOST=100.64.1.2 GUEST=100.64.1.3 MAC=52:54:00:12:34:57 PORT=5555
PY=$(command -v python3)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns del "$NSV" 2>/dev/null || true
	ip netns del "$NSQ" 2>/dev/null || true
}
trap cleanup EXIT
for ns in "$NSV" "$NSQ"; do
	ip netns del "$ns" 2>/dev/null || true
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" tuntap add mode tap name "$TAP"
	ip -n "$ns" addr add "$HOST/31" dev "$TAP"
	ip -n "$ns" link set "$TAP" up
done

# The test guest's initramfs plus a second archive holding /scenarios/bench-net.sh and
# /bin/udpsend, the guest's UDP sender (the kernel unpacks concatenated archives in turn).
mkdir -p "$dir/extra/scenarios" "$dir/extra/bin" "$dir/turns"
rm -f "$dir"/turns/*
cp "$ROOT/bench/net/bench-net.sh" "$dir/extra/scenarios/"
gcc -static -O2 -o "$dir/extra/bin/udpsend" "$ROOT/bench/net/udpsend.c"
(cd "$dir/extra" && find . | cpio --create --format=newc --owner=0:0 --quiet | gzip -1) > "$dir/extra.cpio.gz"
cat "$IMAGES/initramfs.cpio.gz" "$dir/extra.cpio.gz" > "$dir/initramfs.cpio.gz"

# Both guests take twice a round each round (the other one's turn), and boot at once.
limit=$((240 + 2 * rounds * (40 + 3 * udp)))
boot() { # boot NAME NETNS NETDEV-ARGS... (in the background; its pid in $booted)
	local name=$1 ns=$2; shift 2
	ip netns exec "$ns" "$PY" "$ROOT/bench/net/server.py" "$HOST" "$GUEST" "$PORT" $((mb << 20)) "$udp" "$rounds" \
		"$name" "$dir/turns" > "$dir/server-$name.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 50); do grep -q READY "$dir/server-$name.log" 2>/dev/null && break; sleep 0.1; done
	echo "bench: booting the guest with $name" >&2
	ip netns exec "$ns" timeout "$limit" "$QEMU" -nodefaults -display none -accel tcg -m 512 \
		-object memory-backend-memfd,id=mem,size=512M,share=on -machine pc,memory-backend=mem \
		"$@" -serial "file:$dir/console-$name.log" -no-reboot \
		-kernel "$IMAGES/vmlinuz" -initrd "$dir/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 vmdguest.run=bench-net vmdguest.net_mb=$mb vmdguest.ip=$GUEST/31 vmdguest.router=$HOST vmdguest.port=$PORT vmdguest.rounds=$rounds vmdguest.udp_seconds=$udp vmdguest.timeout=$((limit - 20))" \
		> "$dir/qemu-$name.log" 2>&1 &
	booted=$!; pids+=("$booted")
}
passed() { # passed NAME
	grep -q "VMDGUEST PASS bench-net" "$dir/console-$1.log" && return 0
	echo "bench: $1 failed:" >&2; grep VMDGUEST "$dir/console-$1.log" >&2 || true; tail -5 "$dir/qemu-$1.log" >&2
	return 1
}

# ours: vionet (the distribution's JVM flags and class path) on its namespace's tap
ip netns exec "$NSV" $JAVA $VIONET_FLAGS ${VIONET_EXTRA_FLAGS:-} -Dvmd.log.level=${VIONET_LOG_LEVEL:-WARN} -cp "$VIONET_CP" vmd.vionet.VionetMain \
	--socket-path "$dir/vionet.sock" --tap "$TAP" --mac "$MAC" --local "$HOST/31" > "$dir/vionet.log" 2>&1 &
vpid=$!; pids+=("$vpid")
for _ in $(seq 100); do [ -S "$dir/vionet.sock" ] && break; sleep 0.1; done
[ -S "$dir/vionet.sock" ] || { echo "bench: vionet did not start:" >&2; cat "$dir/vionet.log" >&2; exit 1; }
t0=$(date +%s)
boot vionet "$NSV" -chardev "socket,id=c0,path=$dir/vionet.sock" -netdev vhost-user,id=n0,chardev=c0 \
	-device "virtio-net-pci,netdev=n0,vectors=0,mac=$MAC"
qv=$booted
# QEMU: virtio-net-pci on a tap (vhost=off), same guest, same address, same vectors=0
boot qemu "$NSQ" -netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off" \
	-device "virtio-net-pci,netdev=n0,vectors=0,mac=$MAC"
qq=$booted
wait "$qv" || true; wait "$qq" || true
echo "bench: both guests done in $(( $(date +%s) - t0 )) s" >&2
ok=1; passed vionet || ok=0; passed qemu || ok=0; [ "$ok" = 1 ] || exit 1
# The java launcher may be a wrapper: take the JVM itself (the deepest descendant).
jpid=$vpid
while c=$(cat /proc/$jpid/task/*/children 2>/dev/null | tr ' ' '\n' | grep . | head -1) && [ -n "$c" ]; do jpid=$c; done
rss=$(awk '/^VmRSS/{print $2}' /proc/$jpid/status) hwm=$(awk '/^VmHWM/{print $2}' /proc/$jpid/status)
kill "$vpid" 2>/dev/null || true; wait "$vpid" 2>/dev/null || true

# --- table
"$PY" - "$dir" "$rss" "$hwm" "$mb" "$rounds" <<'PYEOF'
import re, statistics, sys
d, rss, hwm, mb, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def parse(name):
    srv = open(f"{d}/server-{name}.log").read(); con = open(f"{d}/console-{name}.log", errors="replace").read()
    per = {k: {} for k in range(1, rounds + 1)}
    for k, n, t in re.findall(r"^G2H (\d+) (\d+) ([\d.]+)", srv, re.M): per[int(k)]["g2h"] = int(n) / float(t) / 1e6
    for k, n, t in re.findall(r"^H2G (\d+) (\d+) ([\d.]+)", srv, re.M): per[int(k)]["h2g"] = int(n) / float(t) / 1e6
    spray = {int(k): (int(n), float(t)) for k, n, t in re.findall(r"^UDP (\d+) (\d+) ([\d.]+)", srv, re.M)}
    for k, n, irqs in re.findall(r"VMDGUEST UDPRX (\d+) (\d+) ?(\d*)", con):
        per[int(k)]["udprx"] = int(n) / spray[int(k)][1]
        if irqs and int(n) > 0: per[int(k)]["irqrx"] = 1000.0 * int(irqs) / int(n)
    for k, n in spray.items(): per[k]["offered"] = n[0] / n[1]
    for k, n, t in re.findall(r"^UG2H (\d+) (\d+) ([\d.]+)", srv, re.M): per[int(k)]["udptx"] = int(n) / float(t) if float(t) > 0 else 0.0
    return per
v, q = parse("vionet"), parse("qemu")
rows = [("g2h", f"TCP guest -> host, {mb} MiB (MB/s)", "%.1f"), ("h2g", f"TCP host -> guest, {mb} MiB (MB/s)", "%.1f"),
        ("udprx", "UDP 64-byte frames into the guest (packets/s received)", "%.0f"),
        ("udptx", "UDP 64-byte frames out of the guest (packets/s at the host)", "%.0f"),
        ("irqrx", "(the device's interrupts per 1000 frames into the guest)", "%.1f")]
print(f"Medians over {rounds} rounds per back-end, the two guests taking turns round by round; ratio: median of the per-round ratios [min-max].")
print()
print("| metric | vionet | QEMU tap | ours / qemu |")
print("|---|---:|---:|---:|")
for key, label, fmt in rows:
    ks = [k for k in range(1, rounds + 1) if key in v[k] and key in q[k] and q[k][key] > 0]
    if not ks: print(f"| {label} | - | - | - |"); continue
    rs = sorted(v[k][key] / q[k][key] for k in ks)
    mv, mq = statistics.median(v[k][key] for k in ks), statistics.median(q[k][key] for k in ks)
    print(f"| {label} | {fmt % mv} | {fmt % mq} | {statistics.median(rs):.2f} [{rs[0]:.2f}-{rs[-1]:.2f}] |")
off = [v[k].get("offered", 0) for k in v] + [q[k].get("offered", 0) for k in q]
print(f"| (UDP offered by the host, packets/s) | {statistics.median(off[:rounds]):.0f} | {statistics.median(off[rounds:]):.0f} | |")
print(f"| vionet VmRSS / VmHWM (MiB) | {rss/1024:.1f} / {hwm/1024:.1f} | | |")
PYEOF
echo "bench: logs in $dir" >&2
