#!/bin/sh
# The test command: installs prerequisites, then builds and runs every test.
# Tests needing root, /dev/kvm or /dev/net/tun skip with a reason when those are
# missing, except with CI=true, where a missing prerequisite fails the run.
set -eu
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
scripts/guest-images.sh
JAVA_HOME=$(scripts/java-home.sh)
export JAVA_HOME
exec mvn -B -ntp verify "$@"
