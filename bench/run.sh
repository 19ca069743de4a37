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
	(cd "$ROOT" && JAVA_HOME=$("$ROOT/scripts/java-home.sh") mvn -o -q package -DskipTests) >&2
fi
VMD_HOME="$ROOT/build/vmd"
[ -d "$VMD_HOME/lib" ] || { echo "bench: no $VMD_HOME/lib; build first" >&2; exit 1; }
set +u; . "$VMD_HOME/bin/vmd-env"; set -u
# The back-end gets exactly the class path, flags and AOT cache vmd gives a vioblk process;
# the harness adds the bench jar.
VIOBLK_CP=$($JAVA $VMD_JVM_FLAGS -cp "$VMD_CP" vmd.proc.ChildJvmFlags --class-path vioblk)
VMD_JVM_FLAGS=$($JAVA $VMD_JVM_FLAGS -cp "$VMD_CP" vmd.proc.ChildJvmFlags vioblk)
export VMD_JVM_FLAGS
exec $JAVA --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Dvmd.log.level=WARN \
	-cp "$ROOT/bench/target/vmd-bench.jar:$VMD_CP" vmd.bench.BlkBench \
	--vioblk-classpath "$VIOBLK_CP" "$@"
