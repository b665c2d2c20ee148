# Benchmarks/common.sh DATABASE: sourced by import.sh and export.sh. Checks that a server is
# configured (run through scripts/with-postgres), builds consult in release mode (scratch path
# $BENCH_SCRATCH, default .build-release; .build-versions shares transitions.sh's build), sets $consult
# and $data (generated files, reused between runs: $BENCH_DATA or /tmp/consult-bench), creates
# the fresh database DATABASE, migrates it and points CONSULT_DATABASE_URL at it; defines now
# (seconds since 1970, float) and calc EXPRESSION (Python arithmetic).
[ -n "${PGHOST:-}" ] || { echo "run me as: scripts/with-postgres $0" >&2; exit 2; }
scratch="${BENCH_SCRATCH:-.build-release}"
swift build -c release --product consult --scratch-path "$scratch" >/dev/null
consult="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/consult"
data="${BENCH_DATA:-/tmp/consult-bench}"
mkdir -p "$data"
export CONSULT_DATABASE_URL="postgresql:///$1?host=$PGHOST"
# psql's "NOTICE: … does not exist, skipping" would land in the middle of the printed tables.
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
psql -q -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1"
"$consult" db migrate >/dev/null
now() { python3 -c 'import time; print(time.time())'; }
calc() { python3 -c "print($1)"; }
