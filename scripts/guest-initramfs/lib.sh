# Helpers shared by /init and the scenarios of the vmd test guest (busybox sh).
# Installed as /lib/vmdguest.sh; every marker line starts with "VMDGUEST ".

# say WORDS...: prints one marker line on the console.
say() { echo "VMDGUEST $*"; }

# param NAME DEFAULT: the value of vmdguest.NAME=VALUE on the kernel command
# line, or DEFAULT.
param() {
	for _w in $(cat /proc/cmdline); do
		case $_w in "vmdguest.$1="*) echo "${_w#*=}"; return ;; esac
	done
	echo "$2"
}

# fail REASON: ends the running scenario; /init prints "VMDGUEST FAIL name: REASON".
fail() { echo "$*" > /tmp/fail-reason; exit 1; }

# number NAME VALUE: fails unless VALUE is a non-negative decimal integer.
number() {
	case $2 in '' | *[!0-9]*) fail "vmdguest.$1=$2 is not a number" ;; esac
}

# pattern SEED BYTES: writes BYTES bytes of a deterministic pattern. It is
# the first BYTES bytes of lines 0, 1, 2, ..., line i being the text
# "vmdguest seed SEED line i" padded with spaces to 63 characters plus "\n"
# (64 bytes; in Java: String.format("%-63s\n", "vmdguest seed " + seed + " line " + i)).
# Every 64-byte piece is different, so data at a wrong offset is detected.
pattern() {
	# Same as awk's printf "%-63s\n", but ten times faster under QEMU's TCG.
	_prefix="vmdguest seed $1 line "
	seq 0 $((($2 + 63) / 64)) | xargs printf "$_prefix%-$((63 - ${#_prefix}))s\n" | head -c "$2"
}

# sha FILE: the sha256 of FILE ("-" for standard input), hash only.
sha() { sha256sum "$1" | cut -d' ' -f1; }

# wait_for SECONDS TEST...: retries TEST every 0.1 s until it succeeds or
# SECONDS have passed; returns TEST's last status.
wait_for() {
	_n=$(($1 * 10)); shift
	until "$@"; do
		[ "$_n" -gt 0 ] || return 1
		_n=$((_n - 1)); usleep 100000
	done
}

# power_button_devs: the evdev nodes of the ACPI power buttons, if any.
power_button_devs() {
	for _n in /sys/class/input/input*/name; do
		[ -f "$_n" ] && [ "$(cat "$_n")" = "Power Button" ] || continue
		for _e in "${_n%/name}"/event*; do
			[ -e "$_e" ] && echo "/dev/input/${_e##*/}"
		done
	done
}

# wait_power_button: blocks until an ACPI power button is pressed (the way
# vmctl stop asks a guest to shut down); returns 1 if the machine has none.
wait_power_button() {
	_devs=$(power_button_devs)
	[ -n "$_devs" ] || return 1
	_pids=""
	for _d in $_devs; do
		dd if="$_d" of=/dev/null bs=24 count=1 2>/dev/null &
		_pids="$_pids $!"
	done
	# Whichever button fires first ends the wait.
	while :; do
		for _p in $_pids; do
			kill -0 "$_p" 2>/dev/null || { kill $_pids 2>/dev/null; return 0; }
		done
		usleep 100000
	done
}
