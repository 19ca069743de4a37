#!/bin/sh
# Installs what vmd needs to build, run and test on Debian 12, and creates the
# unprivileged user its children run as. Safe to run again.
set -eu
[ "$(id -u)" -eq 0 ] || { echo "setup-debian.sh: run as root" >&2; exit 1; }

packages="openjdk-17-jdk-headless maven gcc make binutils util-linux iproute2
	seabios qemu-utils qemu-system-x86 ipxe-qemu acpica-tools mandoc
	busybox-static cpio zstd xz-utils ca-certificates kmod"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The user every child process drops to (vmd.conf's "user" can name another).
if ! getent passwd _vmd >/dev/null; then
	groupadd --system _vmd 2>/dev/null || true
	useradd --system --gid _vmd --home-dir /var/empty --no-create-home --shell /usr/sbin/nologin _vmd
	echo "setup: created user _vmd"
fi
