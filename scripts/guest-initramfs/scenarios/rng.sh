# rng: reads the virtio entropy device through /dev/hwrng.
#   vmdguest.rng_bytes=N  how much to read (default 4096)
bytes=$(param rng_bytes 4096); number rng_bytes "$bytes"
rngs=/sys/class/misc/hw_random
wait_for 5 grep -q virtio_rng "$rngs/rng_available" 2>/dev/null || fail "no virtio_rng in $rngs/rng_available"
current=$(cat "$rngs/rng_current")
case $current in virtio_rng*) ;; *) fail "current hw_random is $current, not virtio_rng" ;; esac
timeout 30 dd if=/dev/hwrng of=/tmp/rng bs="$bytes" count=1 iflag=fullblock 2>/dev/null || fail "reading /dev/hwrng failed"
got=$(wc -c < /tmp/rng)
[ "$got" -eq "$bytes" ] || fail "read $got of $bytes bytes"
# Random data of this size is never all zeros or all one byte value.
[ "$(od -An -v -tx1 /tmp/rng | tr ' ' '\n' | grep . | sort -u | wc -l)" -gt 1 ] || fail "entropy is constant"
say RNG "$current" "bytes=$got" "sha256=$(sha /tmp/rng)"
