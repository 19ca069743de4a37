#!/bin/sh
# Lists the project's Jazzer targets as "module Class#method", one a line: every
# method annotated @FuzzTest in a module's src/test/java.
set -eu
cd "$(dirname "$0")/../.."
for f in $(grep -rl --include='*.java' '@FuzzTest' */src/test/java | sort); do
	module=${f%%/src/test/java/*}
	class=$(basename "$f" .java)
	awk -v m="$module" -v c="$class" '
		/@FuzzTest/ { want = 1; next }
		want && /void [a-zA-Z0-9_]+\(/ { match($0, /void [a-zA-Z0-9_]+\(/); print m " " c "#" substr($0, RSTART + 5, RLENGTH - 6); want = 0 }
	' "$f"
done
