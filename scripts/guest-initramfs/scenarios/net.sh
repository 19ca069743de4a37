# net: DHCP on eth0, ping the router, then move data both ways with the host
# through busybox nc. The guest connects to the router both times:
#   port P    (vmdguest.port, default 5555): the guest sends net_kb KiB of
#             pattern(seed) and half-closes; the host reads to EOF and closes.
#   port P+1: the guest reads until the host closes; it sends nothing and
#             never half-closes (busybox nc as the host would stop at that).
#   vmdguest.net_kb=N           how much to send (default 1024)
#   vmdguest.seed=N             pattern seed (default 1); see pattern in /lib/vmdguest.sh
#   vmdguest.net_expect=SHA256  fail unless what was received has this hash
#   vmdguest.net_transfer=0     stop after the ping
# Prints:
#   VMDGUEST IP <addr>/<prefix>, VMDGUEST ROUTER <addr>, VMDGUEST DNS <addrs>
#   VMDGUEST PING ok
#   VMDGUEST SHA256 sent <hash> <bytes>
#   VMDGUEST SHA256 received <hash> <bytes>
port=$(param port 5555); number port "$port"
kb=$(param net_kb 1024); number net_kb "$kb"
seed=$(param seed 1); number seed "$seed"
expect=$(param net_expect "")
transfer=$(param net_transfer 1)

wait_for 10 test -e /sys/class/net/eth0 || fail "no eth0"
say MAC "$(cat /sys/class/net/eth0/address)"
ip link set lo up
ip link set eth0 up || fail "cannot bring eth0 up"

# The lease is configured by /etc/udhcpc.script, which saves it in /run/lease.eth0.
udhcpc -i eth0 -n -q -t 5 -s /etc/udhcpc.script >/tmp/udhcpc.log 2>&1 ||
	fail "no DHCP lease: $(tail -n 1 /tmp/udhcpc.log)"
[ -f /run/lease.eth0 ] || fail "udhcpc succeeded but the lease was not configured"
. /run/lease.eth0
say IP "$ip/$mask"
say ROUTER "${router:-none}"
say DNS "${dns:-none}"
[ -n "$router" ] || fail "the lease has no router"

ping -c 3 -W 2 "$router" >/tmp/ping.log 2>&1 || fail "ping $router: $(tail -n 1 /tmp/ping.log)"
say PING ok

[ "$transfer" != 0 ] || return 0

pattern "$seed" $((kb * 1024)) > /tmp/net.sent
nc -w 10 "$router" "$port" < /tmp/net.sent >/dev/null 2>/tmp/nc.err ||
	fail "sending to $router:$port: $(cat /tmp/nc.err)"
say SHA256 sent "$(sha /tmp/net.sent)" "$(wc -c < /tmp/net.sent)"

# A FIFO opened read-write: stdin that never ends, so nc never half-closes.
mkfifo /tmp/net.hold
nc -w 10 "$router" $((port + 1)) 0<>/tmp/net.hold > /tmp/net.received 2>/tmp/nc.err ||
	fail "receiving from $router:$((port + 1)): $(cat /tmp/nc.err)"
got=$(sha /tmp/net.received)
bytes=$(wc -c < /tmp/net.received)
say SHA256 received "$got" "$bytes"
[ "$bytes" -gt 0 ] || fail "received nothing from $router:$((port + 1))"
[ -z "$expect" ] || [ "$got" = "$expect" ] || fail "received $got, expected $expect"
