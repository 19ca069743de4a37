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
cat > "$work/vm.conf" <<CONF
# A two-vCPU VM booting the project's test guest directly (Linux boot protocol).
vm "demo" {
	boot "/usr/local/share/vmd/vmd-testguest"
	cmdline "console=ttyS0 vmdtest=$commands"
	cpus 2
	memory 256M
}
CONF
export VMD_SOCKET="$work/vmd.sock"
echo "demo: starting vmd -f $work/vm.conf (it daemonizes; logs go to syslog)"
/usr/local/sbin/vmd -f "$work/vm.conf" -s "$VMD_SOCKET" -p "$work/vmd.pid"
trap 'kill -TERM "$(cat "$work/vmd.pid" 2>/dev/null)" 2>/dev/null || true' EXIT
vmctl status
tty=$(vmctl status demo | awk 'NR == 2 { print "/dev/" $6 }')
if [ -t 0 ]; then
	echo "demo: vmctl console demo (type help; ~. to leave; the VM is stopped afterwards)"
	vmctl console demo || true
else
	# Show the console until the guest has run its commands.
	timeout 120 cat "$tty" > "$work/console" &
	reader=$!
	for _ in $(seq 1 600); do
		grep -q "VMDTEST OK rng" "$work/console" 2>/dev/null && break
		sleep 0.1
	done
	cat "$work/console"
	kill "$reader" 2>/dev/null || true
	echo
fi
echo "demo: vmctl stop -w demo (the ACPI power button; the guest powers off)"
vmctl stop -w demo
vmctl -v status
