# blk: reads, writes and re-reads the first virtio disk.
#   vmdguest.blk_read_mb=N    hash the first N MiB of the disk (default 4)
#   vmdguest.blk_offset_mb=N  where to write, in MiB (default 1)
#   vmdguest.blk_len_mb=N     how much to write, in MiB (default 4; 0: write nothing)
#   vmdguest.seed=N           pattern seed (default 1); see pattern in /lib/vmdguest.sh
# Prints:
#   VMDGUEST DISK vda size=<bytes> ro=<0|1>
#   VMDGUEST SHA256 vda <hash of the first blk_read_mb MiB (or the whole disk if smaller)>
#   VMDGUEST SHA256 before <hash of the region before writing>
#   VMDGUEST SHA256 written <hash of the pattern written and read back>
read_mb=$(param blk_read_mb 4); number blk_read_mb "$read_mb"
off=$(param blk_offset_mb 1); number blk_offset_mb "$off"
len=$(param blk_len_mb 4); number blk_len_mb "$len"
seed=$(param seed 1); number seed "$seed"
MiB=1048576

first_disk() { for _b in /sys/block/vd*; do [ -e "$_b" ] && echo "${_b##*/}" && return; done; }
wait_for 10 test -n "$(first_disk)" || fail "no virtio disk in /sys/block"
d=$(first_disk)
dev=/dev/$d
[ -b "$dev" ] || fail "$dev is not a block device"
size=$(($(cat "/sys/block/$d/size") * 512))
ro=$(cat "/sys/block/$d/ro")
say DISK "$d" "size=$size" "ro=$ro"

# Read: the first read_mb MiB, or all of a smaller disk.
n=$read_mb
[ $((n * MiB)) -le "$size" ] || n=$((size / MiB))
if [ "$n" -gt 0 ]; then
	h=$(dd if="$dev" bs=$MiB count="$n" 2>/dev/null | sha -)
else
	h=$(sha "$dev")
fi
say SHA256 "$d" "$h"

[ "$len" -gt 0 ] || return 0
[ "$ro" = 0 ] || fail "$dev is read-only"
[ $(((off + len) * MiB)) -le "$size" ] || fail "region ${off}+${len} MiB is past the end of $dev ($size bytes)"

# Forget cached blocks, so that reads go to the device.
drop_cache() { blockdev --flushbufs "$dev"; echo 3 > /proc/sys/vm/drop_caches; }
region_sha() { drop_cache; dd if="$dev" bs=$MiB skip="$off" count="$len" 2>/dev/null | sha -; }

say SHA256 before "$(region_sha)"
pattern "$seed" $((len * MiB)) > /tmp/blk.pattern
want=$(sha /tmp/blk.pattern)
dd if=/tmp/blk.pattern of="$dev" bs=$MiB seek="$off" conv=fsync 2>/tmp/dd.err ||
	fail "writing $dev: $(tail -n 1 /tmp/dd.err)"
rm -f /tmp/blk.pattern
got=$(region_sha)
[ "$got" = "$want" ] || fail "read back $got, wrote $want"
sync
say SHA256 written "$got"
