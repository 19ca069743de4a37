#!/bin/sh
# The main job on a fresh Debian 12 machine: install what vmd needs, build and install
# it, then boot the test guest under vmd and show its console. Run as root.
#   scripts/demo.sh              # interactive: you get the guest's prompt (~. leaves)
#   scripts/demo.sh < /dev/null  # scripted: runs a few guest commands and stops
set -eu
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
mvn -B -ntp -q -DskipTests package
scripts/install.sh >/dev/null

work=$(mktemp -d /tmp/vmd-demo.XXXXXX)
commands="info,cpus,pci,rng"
[ -t 0 ] || commands="$commands,poweroff"
cat > "$work/vm.conf" <<CONF
# A two-vCPU VM booting the project's test guest directly (Linux boot protocol).
vm "demo" {
	boot "/usr/local/share/vmd/vmd-testguest"
	cmdline "console=ttyS0 vmdtest=$commands"
	cpus 2
	memory 256M
}
CONF
echo "demo: starting vmd -d -f $work/vm.conf (log: $work/vmd.log)"
/usr/local/sbin/vmd -d -f "$work/vm.conf" > "$work/vmd.log" 2>&1 &
vmd_pid=$!
trap 'kill -TERM $vmd_pid 2>/dev/null; wait $vmd_pid 2>/dev/null || true' EXIT

tty=""
for _ in $(seq 1 100); do
	tty=$(sed -n 's/.*demo: started vm .* console \(\/dev\/pts\/[0-9]*\).*/\1/p' "$work/vmd.log" | tail -n 1)
	[ -n "$tty" ] && break
	sleep 0.1
done
[ -n "$tty" ] || { cat "$work/vmd.log"; echo "demo: vmd did not start the VM" >&2; exit 1; }
echo "demo: VM \"demo\" runs; its console is $tty"
if [ -t 0 ] && command -v vmctl >/dev/null && vmctl status >/dev/null 2>&1; then
	echo "demo: attaching with 'vmctl console demo' (type help; ~. to leave)"
	vmctl console demo || true
else
	# Show the console until the guest powers itself off.
	timeout 60 cat "$tty" || true
fi
echo
grep -E "demo: (poweroff|error|killed)" "$work/vmd.log" || true
