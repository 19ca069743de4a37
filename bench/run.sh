#!/bin/sh
# Benchmark our vioblk back-end against qemu-storage-daemon's vhost-user-blk export, side by
# side under the same vhost-user front-end, on the same raw and qcow2 images.
# Usage: bench/run.sh [--no-build] [BlkBench options: --seconds S --size-mib N --dir DIR ...]
# Prints a Markdown table on stdout (progress on stderr). See bench/README.md.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
build=1
if [ "${1:-}" = "--no-build" ]; then build=0; shift; fi
if [ "$build" = 1 ]; then
	(cd "$ROOT" && mvn -o -q package -DskipTests) >&2
fi
VMD_HOME="$ROOT/build/vmd"
[ -d "$VMD_HOME/lib" ] || { echo "bench: no $VMD_HOME/lib; build first" >&2; exit 1; }
set +u; . "$VMD_HOME/bin/vmd-env"; set -u
export VMD_JVM_FLAGS
# The back-end gets exactly the distribution's class path and flags (so its AppCDS archive
# applies); the harness adds the bench jar.
exec $JAVA -Djnr.ffi.x86asm.enabled=false -XX:+UseSerialGC -Dvmd.log.level=WARN \
	-cp "$ROOT/bench/target/vmd-bench.jar:$VMD_CP" vmd.bench.BlkBench \
	--vioblk-classpath "$VMD_CP" "$@"
