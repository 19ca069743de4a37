#!/bin/sh
# Installs what vmd needs to build, run and test on Debian 12, and creates the
# unprivileged user its children run as. Safe to run again.
set -eu
[ "$(id -u)" -eq 0 ] || { echo "setup-debian.sh: run as root" >&2; exit 1; }

packages="maven gcc make binutils util-linux iproute2
	seabios qemu-utils qemu-system-x86 ipxe-qemu acpica-tools mandoc
	busybox-static cpio zstd xz-utils ca-certificates kmod
	python3-prometheus-client"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Java 25: Temurin's JDK where it is installed, else Debian's openjdk-25 where the
# release packages it; java-home.sh says what to install when neither is there.
if ! "$(dirname "$0")/java-home.sh" >/dev/null 2>&1; then
	apt-get update -qq
	if apt-cache show openjdk-25-jdk-headless >/dev/null 2>&1; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-25-jdk-headless >/dev/null
	fi
	"$(dirname "$0")/java-home.sh" >/dev/null || exit 1
fi
echo "setup: Java 25 at $("$(dirname "$0")/java-home.sh")"

# The user every child process drops to (vmd.conf's "user" can name another).
if ! getent passwd _vmd >/dev/null; then
	groupadd --system _vmd 2>/dev/null || true
	useradd --system --gid _vmd --home-dir /var/empty --no-create-home --shell /usr/sbin/nologin _vmd
	echo "setup: created user _vmd"
fi
