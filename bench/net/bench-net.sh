# bench-net (bench/net-run.sh): a static address, no DHCP, so the same guest runs behind
# any back-end. With the host side (vmdguest.router) on vmdguest.port P, vmdguest.rounds
# times over:
#   P+4  the gate: the guest connects and waits until the host closes it (the host runs
#        two guests, one per back-end, and lets one round run at a time)
#   P    the guest sends net_mb MiB of zeros and half-closes (host times it)
#   P+1  the guest reads until the host closes, to /dev/null (host times it)
#   P+2  the guest holds a connection while the host sprays 64-byte UDP frames at it;
#        prints the eth0 rx_packets delta over that window
#   P+3  the guest holds a connection while /bin/udpsend sends 64-byte UDP frames to
#        P+3 for udp_seconds (the host counts what arrives)
# Prints VMDGUEST PING ok, then per round k: SENT k, RECEIVED k, UDPRX k <packets>
# <virtio interrupts>, UDPTX k <sent>.
addr=$(param ip 100.64.1.3/31)
router=$(param router 100.64.1.2)
port=$(param port 5555); number port "$port"
mb=$(param net_mb 32); number net_mb "$mb"
rounds=$(param rounds 5); number rounds "$rounds"
udp=$(param udp_seconds 5); number udp_seconds "$udp"

wait_for 10 test -e /sys/class/net/eth0 || fail "no eth0"
ip link set lo up
ip link set eth0 up || fail "cannot bring eth0 up"
ip addr add "$addr" dev eth0 || fail "cannot set $addr"
wait_for 10 ping -c 1 -W 1 "$router" >/dev/null 2>&1 || fail "no ping to $router"
say PING ok
mkfifo /tmp/hold
rx=/sys/class/net/eth0/statistics/rx_packets
# The virtio device's interrupts so far (INTx: one line, all CPUs' columns).
virtio_irqs() { awk '/virtio/ { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } END { print n + 0 }' /proc/interrupts; }

k=1
while [ "$k" -le "$rounds" ]; do
	nc "$router" $((port + 4)) 0<>/tmp/hold >/dev/null 2>&1
	dd if=/dev/zero bs=65536 count=$((mb * 16)) 2>/dev/null | nc -w 10 "$router" "$port" >/dev/null 2>/tmp/nc.err ||
		fail "sending: $(cat /tmp/nc.err)"
	say SENT "$k"

	nc -w 10 "$router" $((port + 1)) 0<>/tmp/hold >/dev/null 2>/tmp/nc.err || fail "receiving: $(cat /tmp/nc.err)"
	say RECEIVED "$k"

	r0=$(cat $rx) i0=$(virtio_irqs)
	nc -w 30 "$router" $((port + 2)) 0<>/tmp/hold >/dev/null 2>/tmp/nc.err || fail "udp receive phase: $(cat /tmp/nc.err)"
	r1=$(cat $rx) i1=$(virtio_irqs)
	say UDPRX "$k" $((r1 - r0)) $((i1 - i0))

	nc "$router" $((port + 3)) 0<>/tmp/hold >/dev/null 2>&1 &
	holder=$!
	usleep 200000
	sent=$(/bin/udpsend "$router" $((port + 3)) "$udp") || fail "udpsend failed"
	usleep 300000
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	say UDPTX "$k" "$sent"
	k=$((k + 1))
done
