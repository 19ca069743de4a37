#!/bin/sh
# Installs the built distribution (build/vmd, made by `mvn package`) under $PREFIX
# (default /usr/local): the jars and launchers in $PREFIX/lib/vmd, vmd in
# $PREFIX/sbin, vmctl in $PREFIX/bin, the vhost-user back-ends vmd-vioblk and vmd-vionet in
# $PREFIX/libexec with their descriptors in $PREFIX/share/qemu/vhost-user (QEMU's
# docs/interop/vhost-user.json), the test guest in $PREFIX/share/vmd. The jars
# must be readable by the unprivileged user the children run as, so nothing may live
# under a private home directory.
set -eu
cd "$(dirname "$0")/.."
PREFIX="${PREFIX:-/usr/local}"
[ -d build/vmd/lib ] || { echo "install.sh: build/vmd is missing; run 'mvn -DskipTests package' first" >&2; exit 1; }
dest="$PREFIX/lib/vmd"
rm -rf "$dest.new"
mkdir -p "$dest.new" "$PREFIX/sbin" "$PREFIX/bin" "$PREFIX/share/vmd"
cp -R build/vmd/bin build/vmd/lib "$dest.new/"
rm -f "$dest.new"/lib/*.aot "$dest.new"/lib/*.aot.jvm "$dest.new"/lib/*.args "$dest.new/lib/vmd-children.jsa"
rm -rf "$dest" && mv "$dest.new" "$dest"
chmod -R a+rX "$dest"
cp build/vmd/share/vmd-testguest build/vmd/share/bootloader.bin "$PREFIX/share/vmd/"
chmod 644 "$PREFIX/share/vmd/vmd-testguest" "$PREFIX/share/vmd/bootloader.bin"
# Manual pages, the example configuration, the rc.d script and the systemd unit.
mkdir -p "$PREFIX/share/man/man5" "$PREFIX/share/man/man8" "$PREFIX/share/examples/vmd" "$dest/rc.d"
cp man/vm.conf.5 "$PREFIX/share/man/man5/"
cp man/vmd.8 man/vmctl.8 man/vmd-vioblk.8 man/vmd-vionet.8 "$PREFIX/share/man/man8/"
cp etc/vm.conf "$PREFIX/share/examples/vmd/vm.conf"
cp etc/rc.d/vmd "$dest/rc.d/vmd" && chmod 755 "$dest/rc.d/vmd"
unitdir="${SYSTEMD_UNIT_DIR:-/etc/systemd/system}"
if [ -d "$unitdir" ]; then
	sed "s|/usr/local/sbin/vmd|$PREFIX/sbin/vmd|g" etc/systemd/vmd.service > "$unitdir/vmd.service"
fi
# The back-ends as QEMU and libvirt find them: a program in libexec and a descriptor
# naming it (QEMU reads $PREFIX/share/qemu/vhost-user where PREFIX is its own, and
# /etc/qemu/vhost-user; see vmd-vioblk(8)).
mkdir -p "$PREFIX/libexec" "$PREFIX/share/qemu/vhost-user"
for kind in vioblk:block:virtio-blk vionet:net:virtio-net; do
	name=${kind%%:*} rest=${kind#*:}
	type=${rest%%:*} what=${rest#*:}
	ln -sf "$dest/bin/vmd-$name" "$PREFIX/libexec/vmd-$name"
	cat > "$PREFIX/share/qemu/vhost-user/50-vmd-$name.json" <<-EOF
	{
	  "description": "vmd $what back-end",
	  "type": "$type",
	  "binary": "$PREFIX/libexec/vmd-$name"
	}
	EOF
done
ln -sf "$dest/bin/vmd" "$PREFIX/sbin/vmd"
ln -sf "$dest/bin/vmctl" "$PREFIX/bin/vmctl"
# The AOT caches record jar paths: make them where the jars now are.
"$dest/bin/vmd-mkaot" >/dev/null
mkdir -p /var/run/vmd 2>/dev/null || true
echo "installed vmd in $dest ($PREFIX/sbin/vmd, $PREFIX/bin/vmctl, $PREFIX/libexec/vmd-vioblk, $PREFIX/libexec/vmd-vionet)"
