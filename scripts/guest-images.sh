#!/bin/bash
# Builds the Linux test guest that the tests boot under QEMU (-accel tcg) or vmd:
#   vmlinuz             the Debian 12 cloud kernel (bzImage), unmodified
#   initramfs.cpio.gz   busybox, the virtio modules and an /init that runs the
#                       scenario named by vmdguest.run= (see guest-initramfs/)
# from pinned Debian packages fetched with apt-get download and checked
# against the sha256s below. Output goes to $VMD_GUEST_IMAGES (default
# /var/cache/vmd/guest-images). Nothing is done when the outputs already
# match the pins and this script's sources. Needs root (apt-get), dpkg-deb,
# cpio, gzip; xz and zstd only if the kernel's modules are compressed.
#
# To move to a newer kernel: apt-cache depends linux-image-cloud-amd64 names
# the versioned package; apt-get download it, and put its name, version and
# sha256sum below.
set -euo pipefail

# Pinned inputs (amd64).
KERNEL_PKG=linux-image-6.1.0-50-cloud-amd64
KERNEL_VERSION=6.1.176-1
KERNEL_SHA256=efe19f605b6f54a8352e68d85a629abb2d30b72a085faef603a9152590baa791
BUSYBOX_PKG=busybox-static
BUSYBOX_VERSION=1:1.35.0-4+deb12u1+b1
BUSYBOX_SHA256=3d3fdbe91d4660c873e14b092c213fe81c1da6362daa236eb25d0171eb108744

# Modules to load, in any order (dependencies are added and ordered here).
# REQUIRED ones must exist as a module or be built in; OPTIONAL ones are
# skipped if this kernel has neither.
REQUIRED_MODULES="virtio virtio_ring virtio_pci virtio_pci_modern_dev
	virtio_pci_legacy_dev virtio_blk virtio_net net_failover failover virtio_rng"
# evdev + button: the ACPI power button (vmctl stop); virtio_scsi + sr_mod:
# vmd's cdrom (vioscsi).
OPTIONAL_MODULES="evdev button virtio_scsi sr_mod sd_mod"

# Busybox applets linked in /bin (the interactive shell installs all of them).
APPLETS="sh ash awk basename blockdev cat chmod cp cttyhack cut date dd dmesg
	echo env false find grep head hexdump insmod ip kill ln ls lsmod mkdir
	mkfifo mknod mount mv nc nproc od ping ping6 poweroff printf readlink reboot rm rmmod
	sed seq setsid sha256sum sleep sort stat sync tail tee test timeout
	touch tr true udhcpc umount uname usleep wc xargs ["

out=${VMD_GUEST_IMAGES:-/var/cache/vmd/guest-images}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/guest-initramfs

die() { echo "guest-images: $*" >&2; exit 1; }

# What the outputs are made from: the pins, this script and the initramfs
# sources. The stamp in the cache records it.
inputs() {
	echo "$KERNEL_PKG $KERNEL_VERSION $KERNEL_SHA256"
	echo "$BUSYBOX_PKG $BUSYBOX_VERSION $BUSYBOX_SHA256"
	(cd "$here" && sha256sum guest-images.sh && find guest-initramfs -type f | LC_ALL=C sort | xargs sha256sum)
}

report() {
	echo "guest-images: kernel $(cat "$out/kernel-release") from $KERNEL_PKG $KERNEL_VERSION"
	echo "$out/vmlinuz"
	echo "$out/initramfs.cpio.gz"
}

if [ -f "$out/stamp" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initramfs.cpio.gz" ] &&
	[ "$(inputs)" = "$(cat "$out/stamp")" ]; then
	report
	exit 0
fi

for tool in apt-get dpkg-deb cpio gzip sha256sum; do
	command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup-debian.sh installs it)"
done

mkdir -p "$out/debs"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch PKG VERSION SHA256: prints the path of the verified .deb in
# $out/debs, downloading it if it is not there yet.
fetch() {
	local pkg=$1 version=$2 sum=$3
	local deb="$out/debs/${pkg}_${version#*:}_amd64.deb"
	if [ -f "$deb" ] && echo "$sum  $deb" | sha256sum -c --status; then
		echo "$deb"
		return
	fi
	rm -f "$deb"
	local dl="$tmp/dl-$pkg"
	mkdir -p "$dl"
	# Download as root into our own directory (no _apt sandbox needed).
	get() { (cd "$dl" && apt-get -q -o APT::Sandbox::User=root download "$pkg=$version") >"$tmp/apt.log" 2>&1; }
	if ! get; then
		echo "guest-images: $pkg=$version not in the package lists, running apt-get update" >&2
		apt-get -q update >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; die "apt-get update failed"; }
		if ! get; then
			cat "$tmp/apt.log" >&2
			apt-cache policy linux-image-cloud-amd64 "$pkg" >&2 || true
			die "cannot download $pkg=$version; if the archive dropped it, update the pins in $0"
		fi
	fi
	local got
	got=$(sha256sum "$dl"/*.deb | cut -d' ' -f1)
	[ "$got" = "$sum" ] ||
		die "sha256 mismatch for $pkg=$version: got $got, pinned $sum"
	mv "$dl"/*.deb "$deb"
	echo "$deb"
}

kernel_deb=$(fetch "$KERNEL_PKG" "$KERNEL_VERSION" "$KERNEL_SHA256")
busybox_deb=$(fetch "$BUSYBOX_PKG" "$BUSYBOX_VERSION" "$BUSYBOX_SHA256")

# Unpack (not install) both packages.
dpkg-deb -x "$kernel_deb" "$tmp/kernel"
dpkg-deb -x "$busybox_deb" "$tmp/busybox"
kver=$(ls "$tmp/kernel/lib/modules")
[ "$(echo "$kver" | wc -w)" = 1 ] || die "expected one kernel in $KERNEL_PKG, found: $kver"
moddir=$tmp/kernel/lib/modules/$kver
config=$tmp/kernel/boot/config-$kver
if [ ! -f "$tmp/kernel/boot/vmlinuz-$kver" ] || [ ! -f "$config" ]; then
	die "no vmlinuz or config in $KERNEL_PKG"
fi

# What /init relies on being built in.
for opt in BLK_DEV_INITRD RD_GZIP DEVTMPFS TMPFS SERIAL_8250_CONSOLE PACKET UNIX IPV6; do
	grep -qx "CONFIG_$opt=y" "$config" || die "$kver lacks CONFIG_$opt=y"
done

# The initramfs tree.
root=$tmp/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,root,etc,lib/modules/"$kver",scenarios}
cp "$tmp/busybox/bin/busybox" "$root/bin/busybox"
for a in $APPLETS; do
	ln -s busybox "$root/bin/$a"
done
install -m 755 "$src/init" "$root/init"
install -m 644 "$src/lib.sh" "$root/lib/vmdguest.sh"
install -m 755 "$src/udhcpc.script" "$root/etc/udhcpc.script"
install -m 644 "$src/scenarios/"*.sh "$root/scenarios/"
# Lets the kernel give /init a console before devtmpfs is mounted.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || echo "guest-images: cannot mknod dev/console (not root?); /init opens it itself" >&2

# Modules: index the package's modules by name ("-" and "_" are the same).
find "$moddir/kernel" -name '*.ko*' |
	awk -F/ '{ n = $NF; sub(/\.ko(\.[a-z]+)?$/, "", n); gsub("-", "_", n); print n, $0 }' > "$tmp/modindex"
sed -E 's|.*/||; s|\.ko.*||; s|-|_|g' "$moddir/modules.builtin" > "$tmp/builtin"

loaded=" "  # modules already placed, in load order in $root/.../load-order
builtin=""
# add NAME REQUIRED: places NAME after its dependencies.
add() {
	local name=${1//-/_} required=$2 path dest dep
	case $loaded in *" $name "*) return ;; esac
	path=$(awk -v n="$name" '$1 == n { print $2; exit }' "$tmp/modindex")
	if [ -z "$path" ]; then
		if grep -qx "$name" "$tmp/builtin"; then
			builtin="$builtin $name"
		elif [ "$required" = 1 ]; then
			die "module $name is neither in $KERNEL_PKG nor built in"
		else
			echo "guest-images: optional module $name not in $kver, skipped" >&2
		fi
		return
	fi
	dest=$root/lib/modules/$kver/$name.ko
	case $path in
	*.ko) cp "$path" "$dest" ;;
	*.ko.xz) xz -dc "$path" > "$dest" ;;
	*.ko.zst) zstd -dcq "$path" > "$dest" ;;
	*.ko.gz) gzip -dc "$path" > "$dest" ;;
	*) die "unknown module format: $path" ;;
	esac
	# The dependencies, from the module's .modinfo "depends=a,b" string.
	for dep in $(tr '\0' '\n' < "$dest" | sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
		add "$dep" "$required"
	done
	loaded="$loaded$name "
	echo "$name" >> "$root/lib/modules/$kver/load-order"
}
: > "$root/lib/modules/$kver/load-order"
for m in $REQUIRED_MODULES; do add "$m" 1; done
for m in $OPTIONAL_MODULES; do add "$m" 0; done

# Pack reproducibly: fixed times and owners, sorted names.
find "$root" -exec touch -h -d @0 {} +
(cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null --create --format=newc --reproducible --owner=0:0 --quiet) |
	gzip -9n > "$tmp/initramfs.cpio.gz"

# Install the outputs, stamp last.
rm -f "$out/stamp"
cp "$tmp/kernel/boot/vmlinuz-$kver" "$out/vmlinuz.new" && mv "$out/vmlinuz.new" "$out/vmlinuz"
cp "$config" "$out/config"
cp "$tmp/initramfs.cpio.gz" "$out/initramfs.cpio.gz.new" && mv "$out/initramfs.cpio.gz.new" "$out/initramfs.cpio.gz"
echo "$kver" > "$out/kernel-release"
cp "$root/lib/modules/$kver/load-order" "$out/modules"
(cd "$out" && sha256sum vmlinuz initramfs.cpio.gz > SHA256SUMS)
inputs > "$out/stamp"

echo "guest-images: modules (load order): $(tr '\n' ' ' < "$out/modules")"
echo "guest-images: built in, not needed as modules:${builtin:- none}"
echo "guest-images: initramfs $(stat -c %s "$out/initramfs.cpio.gz") bytes"
report
