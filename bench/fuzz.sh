#!/bin/sh
# Runs every Jazzer @FuzzTest of the project in fuzzing mode for a number of
# executions each (default 10^6) and prints a table: target, executions, coverage
# (libFuzzer's edge count "cov" and feature count "ft"), corpus size, time, findings.
# A finding fails the target: Jazzer writes the input into the target's inputs
# directory (src/test/resources/<package>/<Class>Inputs/<method>/), where the
# regression run in CI replays it from then on.
#
#   bench/fuzz.sh [--runs N] [--no-build] [--only Class#method] [--log-dir DIR]
set -eu
cd "$(dirname "$0")/.."
runs=1000000 build=1 only="" logs=${TMPDIR:-/tmp}/vmd-fuzz
while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	--only) only=$2; shift 2 ;;
	--log-dir) logs=$2; shift 2 ;;
	*) echo "usage: bench/fuzz.sh [--runs N] [--no-build] [--only Class#method] [--log-dir DIR]" >&2; exit 2 ;;
	esac
done
JAVA_HOME=${JAVA_HOME:-$(scripts/java-home.sh)}
export JAVA_HOME
mkdir -p "$logs"
[ "$build" = 1 ] && mvn -B -q -o install -DskipTests

# Targets: "module Class#method" for every @FuzzTest in the modules' test sources.
targets=$(bench/fuzz/targets.sh)
[ -n "$only" ] && targets=$(printf '%s\n' "$targets" | grep -F " $only" || true)
[ -n "$targets" ] || { echo "fuzz: no target matches '$only'" >&2; exit 2; }

printf '| target | executions | cov | ft | corpus | seconds | findings |\n|---|---:|---:|---:|---:|---:|---|\n'
printf '%s\n' "$targets" | {
failed=0
while read -r module target; do
	log="$logs/$(echo "$target" | tr '#' '.').log"
	start=$(date +%s)
	if JAZZER_FUZZ=1 JAZZER_MAX_EXECUTIONS=$runs JAZZER_MAX_DURATION=60m \
		mvn -B -o surefire:test -pl "$module" -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false >"$log" 2>&1; then
		verdict=0
	else
		verdict="see $log"
		failed=1
	fi
	secs=$(( $(date +%s) - start ))
	# libFuzzer's last status line: "#1000000 DONE cov: 180 ft: 620 corp: 140/3Kb ..."
	last=$(grep -a -E '^#[0-9]+' "$log" | tail -n 1)
	execs=$(grep -a -o -E '^Done [0-9]+ runs' "$log" | tail -n 1 | awk '{print $2}')
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$target" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$secs" "$verdict"
done
[ "$failed" = 0 ]
}
