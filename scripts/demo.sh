#!/bin/sh
# The main job on a fresh Debian 12 machine: install what vmd needs, build and install
# it, then boot the test guest under vmd and show its console. Run as root.
#   scripts/demo.sh              # interactive: you get the guest's prompt (~. leaves)
#   scripts/demo.sh < /dev/null  # scripted: runs a few guest commands and stops
set -eu
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
mvn -B -ntp -q -DskipTests package
scripts/install.sh >/dev/null

work=$(mktemp -d /tmp/vmd-demo.XXXXXX)
chmod 755 "$work"
commands="info,cpus,pci,rng,blk"
# A boot disk for SeaBIOS: the two-stage loader from guest/bootdisk, then 15 sectors it
# checksums; vmctl turns it into a qcow2 image. And an empty raw disk for the test guest.
boot_raw="$work/boot.raw"
dd if=/dev/zero of="$boot_raw" bs=1M count=1 status=none
dd if=/usr/local/share/vmd/bootloader.bin of="$boot_raw" conv=notrunc status=none
dd if=/dev/urandom of="$boot_raw" bs=512 seek=2 count=15 conv=notrunc status=none
vmctl create -i "$boot_raw" "qcow2:$work/boot.qcow2"
vmctl create -s 4M "$work/data.raw"
cat > "$work/vm.conf" <<CONF
# The project's test guest, booted directly (Linux boot protocol), with a virtio disk
# served by its own vioblk process.
vm "demo" {
	boot "/usr/local/share/vmd/vmd-testguest"
	cmdline "console=ttyS0 vmdtest=$commands"
	cpus 2
	memory 256M
	disk "$work/data.raw"
}
# SeaBIOS booting a qcow2 disk through vioblk.
vm "bios" {
	memory 64M
	disk "$work/boot.qcow2" format qcow2
}
CONF
export VMD_SOCKET="$work/vmd.sock"
echo "demo: starting vmd -f $work/vm.conf (it daemonizes; logs go to syslog)"
/usr/local/sbin/vmd -f "$work/vm.conf" -s "$VMD_SOCKET" -p "$work/vmd.pid"
trap 'kill -TERM "$(cat "$work/vmd.pid" 2>/dev/null)" 2>/dev/null || true' EXIT
vmctl status
tty=$(vmctl status demo | awk 'NR == 2 { print "/dev/" $6 }')
if [ -t 0 ]; then
	echo "demo: vmctl console demo (type help; ~. to leave; the VMs are stopped afterwards)"
	vmctl console demo || true
else
	# Show the console until the guest has run its commands.
	timeout 120 cat "$tty" > "$work/console" &
	reader=$!
	for _ in $(seq 1 600); do
		grep -q "VMDTEST OK blk" "$work/console" 2>/dev/null && break
		sleep 0.1
	done
	cat "$work/console"
	kill "$reader" 2>/dev/null || true
	echo
fi
echo "demo: crash isolation: kill -9 the vioblk process serving demo's disk; vmd starts a new one"
pkill -9 -f "vmd.process=vioblk demo/disk0" || echo "demo: no vioblk process for demo/disk0"
for _ in $(seq 1 100); do
	vmctl -v status demo | grep -q "restarted" && break
	sleep 0.1
done
vmctl -v status demo | grep "last event" || true
timeout 60 cat "$tty" > "$work/console2" &
reader=$!
sleep 0.5
printf 'blk\r' > "$tty" # the guest's disk, through the new process
for _ in $(seq 1 300); do
	grep -q -E "VMDTEST (OK|FAIL) blk" "$work/console2" 2>/dev/null && break
	sleep 0.1
done
kill "$reader" 2>/dev/null || true
grep -a -E "blk: (read back|done)|VMDTEST" "$work/console2" || true
echo "demo: SeaBIOS in VM \"bios\" boots the qcow2 disk (slow under a software hypervisor)..."
bios_tty=$(vmctl status bios | awk 'NR == 2 { print "/dev/" $6 }')
timeout 180 cat "$bios_tty" > "$work/bios-console" &
reader=$!
for _ in $(seq 1 1800); do
	grep -q "VMDBOOT STAGE2" "$work/bios-console" 2>/dev/null && break
	sleep 0.1
done
kill "$reader" 2>/dev/null || true
sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1bc//g' "$work/bios-console" | grep -a -E "SeaBIOS|Booting|VMDBOOT" || true
echo "demo: vmctl stop -w demo bios (the ACPI power button, then forced off after the timeout)"
vmctl stop -w demo
vmctl stop -f -w bios
vmctl -v status
