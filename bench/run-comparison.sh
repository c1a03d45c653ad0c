#!/usr/bin/env bash
# Builds what the comparison needs and runs it: every server of bench/servers.conf x {1, 50, 500}
# connections x {64 B, 1 KiB} and 5000 x 64 B, plus the fan-out to 9000 idle connections, 3
# repetitions (about 21 minutes on 2 CPUs), or with --quick the smoke variant (about a minute). Results go to bench-results/ (comparison.* or smoke.*).
# Any other argument goes to the comparison; see: bench/run-comparison.sh --help
# Exit code 0 only if every server that could run ran every workload and every echo was verified.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
    export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi

# The oneloop server joins the comparison once its module exists; the C floors are compiled by the
# comparison itself (gcc, liburing-dev) and skipped with the reason when they cannot be.
modules=bench
[ -d server ] && modules=server,bench
./mvnw -B -q -pl "$modules" -am package -Dmaven.test.skip=true

exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp bench/target/benchmarks.jar dev.oneloop.bench.report.Comparison "$@"
