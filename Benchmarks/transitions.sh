#!/usr/bin/env bash
# Benchmarks/transitions.sh [SECONDS]: workflow transitions per second through the store with 1, 4
# and 16 concurrent clients, next to pgbench's built-in simple-update script (`pgbench -N`) against
# the same server, in one run. Default 10 seconds per measurement.
#
# Each consult transition is ConsultStore.fire on a workshop (planned <-> scheduled) or, in the last
# column, a contribution (received <-> reviewed) of the benchmark's own workflow
# (Benchmarks/bench-toggle.yaml): one transaction that reads the entity and
# its consultation's workflow, lets the workflow core decide, compares-and-sets the new state and
# appends to the event log. Each pgbench -N transaction updates one account, reads it back and
# appends to a history table. Target: consult >= 50% of pgbench's tps at 16 clients.
# Run it through scripts/with-postgres, which provides the server:
#   scripts/with-postgres Benchmarks/transitions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${PGHOST:-}" ] || { echo "run me as: scripts/with-postgres $0" >&2; exit 2; }
seconds="${1:-10}"
# pgbench's query mode: simple (its default: every statement parsed and planned), or prepared
# (as consult's two statements of every transition are; PGBENCH_MODE=prepared).
mode="${PGBENCH_MODE:-simple}"
scratch="${BENCH_SCRATCH:-.build-versions}"
swift build -c release --product consult-bench --scratch-path "$scratch" >/dev/null
bench="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/consult-bench"
pgbench="$(command -v pgbench || true)"
if [ -z "$pgbench" ]; then
  bindir="$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  pgbench="$bindir/pgbench"
fi
psql -q -d postgres -c 'DROP DATABASE IF EXISTS bench_consult' -c 'CREATE DATABASE bench_consult' \
  -c 'DROP DATABASE IF EXISTS bench_pgbench' -c 'CREATE DATABASE bench_pgbench'
"$bench" setup bench_consult Benchmarks/bench-toggle.yaml 256
"$pgbench" -i -q -s 1 bench_pgbench >/tmp/consult-pgbench-init.log 2>&1 \
  || { cat /tmp/consult-pgbench-init.log >&2; exit 1; }
echo "PostgreSQL $(psql -Atc 'SHOW server_version' -d postgres), $(nproc) cores, ${seconds}s per measurement, pgbench -M $mode"
printf '%-8s %14s %14s %7s %18s %7s\n' clients 'pgbench -N tps' 'workshop tps' ratio 'contribution tps' ratio
for clients in 1 4 16; do
  pg=$("$pgbench" -N -M "$mode" -c "$clients" -j "$clients" -T "$seconds" bench_pgbench 2>/dev/null | awk '/^tps/ {print $3; exit}')
  workshop=$("$bench" run bench_consult workshop "$clients" "$seconds" | awk '/^tps/ {print $2}')
  contribution=$("$bench" run bench_consult contribution "$clients" "$seconds" | awk '/^tps/ {print $2}')
  awk -v c="$clients" -v p="$pg" -v w="$workshop" -v x="$contribution" \
    'BEGIN { printf "%-8s %14.0f %14.0f %6.0f%% %18.0f %6.0f%%\n", c, p, w, 100 * w / p, x, 100 * x / p }'
done
"$bench" check bench_consult
