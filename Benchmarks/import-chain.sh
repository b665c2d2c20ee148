#!/usr/bin/env bash
# Benchmarks/import-chain.sh [ROWS]: what the event log's hash chain costs an import (issue 10:
# import throughput within 10% of the log without the chain). In one run against one throw-away
# server, the same generated docket (Benchmarks/generate-docket.py, default 100,000 rows) is
# imported three times into fresh consultations: with the chain, with the chain trigger disabled
# (the log as before issue 10; the superuser switches it off), and with the chain again; prints
# rows/s of each and chain ÷ no chain. Run it through scripts/with-postgres:
#   scripts/with-postgres Benchmarks/import-chain.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
. Benchmarks/common.sh bench_chain
mapping="$PWD/Benchmarks/docket-mapping.yaml"
file="$data/docket-$n.csv"
[ -s "$file" ] || python3 Benchmarks/generate-docket.py "$n" "$file" >/dev/null
run() { # SLUG: rows/s of one all-or-nothing import
  "$consult" open "$1" --title "Import $1" >/dev/null
  local start end
  start=$(now)
  "$consult" contributions import "$1" "$file" --format csv --mapping "$mapping" --language en >/dev/null
  end=$(now)
  calc "$n / ($end - $start)"
}
chain() { psql -q -d bench_chain -c "ALTER TABLE events $1 TRIGGER events_chain"; }
psql -q -d bench_chain -c 'ALTER TABLE events ALTER COLUMN hash DROP NOT NULL'
on1=$(run chain-1)
chain DISABLE
off=$(run no-chain)
chain ENABLE
on2=$(run chain-2)
printf 'rows %s: chain %.0f rows/s, no chain %.0f rows/s, chain again %.0f rows/s; chain / no chain = %.2f\n' \
  "$n" "$on1" "$off" "$on2" "$(calc "($on1 + $on2) / 2 / $off")"
