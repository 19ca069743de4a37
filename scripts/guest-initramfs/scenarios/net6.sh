# net6: IPv6 on a local interface under vm.conf's "local inet6". The kernel
# solicits a router on eth0; vionet's advertisement makes the interface's /96
# on-link and the host side the default router. OpenBSD's vmd numbers the
# /96 so that the host side is ::1 and the VM ::2; a /96 cannot be
# autoconfigured (SLAAC needs a /64), so the VM takes ::2 itself, as a guest
# of vmd does. Then it pings the host side.
# Prints:
#   VMDGUEST PREFIX6 <prefix>/96, VMDGUEST ROUTER6 <link-local>
#   VMDGUEST IP6 <addr>/96
#   VMDGUEST PING6 ok
wait_for 10 test -e /sys/class/net/eth0 || fail "no eth0"
ip link set lo up
ip link set eth0 up || fail "cannot bring eth0 up"

prefix6() { ip -6 route show dev eth0 | awk '$1 ~ /\/96$/ { print $1; exit }'; }
wait_for 30 sh -c "ip -6 route show dev eth0 | grep -q '/96'" ||
	fail "no router advertisement: $(ip -6 route show dev eth0 | tr '\n' ';')"
prefix=$(prefix6)
say PREFIX6 "$prefix"
router=$(ip -6 route show | awk '$1 == "default" { for (i = 1; i < NF; i++) if ($i == "via") { print $(i + 1); exit } }')
say ROUTER6 "${router:-none}"

net=${prefix%/96}
case $net in
*::) addr=${net}2 ;;
*:0:0) addr=${net%:0:0}:0:2 ;;
*) fail "unexpected prefix form $prefix" ;;
esac
host=${addr%2}1
ip -6 addr add "$addr/96" dev eth0 || fail "cannot add $addr/96"
say IP6 "$addr/96"

# Until duplicate address detection is done the address cannot be used: retry.
n=0
until ping6 -c 3 -W 2 "$host" >/tmp/ping6.log 2>&1; do
	n=$((n + 1))
	[ "$n" -lt 5 ] || fail "ping6 $host: $(tail -n 1 /tmp/ping6.log)"
	sleep 1
done
say PING6 ok
