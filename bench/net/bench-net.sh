# bench-net (bench/net-run.sh): a static address, no DHCP, so the same guest runs behind
# any back-end. Then, with the host side (vmdguest.router) on vmdguest.port P:
#   P    the guest sends net_mb MiB of zeros and half-closes (host times it)
#   P+1  the guest reads until the host closes, to /dev/null (host times it)
#   P+2  the guest holds a connection while the host sprays small UDP datagrams at it;
#        prints the eth0 rx_packets delta over that window.
# Prints VMDGUEST PING ok, VMDGUEST SENT, VMDGUEST RECEIVED, VMDGUEST UDPRX <packets>.
addr=$(param ip 100.64.1.3/31)
router=$(param router 100.64.1.2)
port=$(param port 5555); number port "$port"
mb=$(param net_mb 32); number net_mb "$mb"

wait_for 10 test -e /sys/class/net/eth0 || fail "no eth0"
ip link set lo up
ip link set eth0 up || fail "cannot bring eth0 up"
ip addr add "$addr" dev eth0 || fail "cannot set $addr"
wait_for 10 ping -c 1 -W 1 "$router" >/dev/null 2>&1 || fail "no ping to $router"
say PING ok

dd if=/dev/zero bs=65536 count=$((mb * 16)) 2>/dev/null | nc -w 10 "$router" "$port" >/dev/null 2>/tmp/nc.err ||
	fail "sending: $(cat /tmp/nc.err)"
say SENT

mkfifo /tmp/hold
nc -w 10 "$router" $((port + 1)) 0<>/tmp/hold >/dev/null 2>/tmp/nc.err || fail "receiving: $(cat /tmp/nc.err)"
say RECEIVED

rx=/sys/class/net/eth0/statistics/rx_packets
r0=$(cat $rx)
nc -w 30 "$router" $((port + 2)) 0<>/tmp/hold >/dev/null 2>/tmp/nc.err || fail "udp phase: $(cat /tmp/nc.err)"
r1=$(cat $rx)
say UDPRX $((r1 - r0))
