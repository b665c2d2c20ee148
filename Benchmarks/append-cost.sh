#!/usr/bin/env bash
# Benchmarks/append-cost.sh [TRANSACTIONS]: the server's cost of one workflow transition, counted in
# CPU instructions (valgrind's callgrind on a single-user PostgreSQL backend), next to one
# `pgbench -N` transaction counted the same way, and next to the same transition with the event
# log's hash chain switched off (its trigger disabled; since migration 0036 that trigger also checks the
# event's workflow version and order, so "off" leaves those out too). Instruction
# counts repeat exactly from run to run whatever else the machine does, unlike the times of
# Benchmarks/transitions.sh on a shared 2-core machine.
#
# Both workloads run as prepared statements (PREPARE/EXECUTE): consult's transition is the two
# statements ConsultStore.fire sends (read the entity and its consultation; compare-and-set plus
# event append); pgbench's is its simple-update script (update an account, read it back, append
# to the history). Each figure is (instructions for N+100 transactions - instructions for 100) / N,
# so start-up and plan caching are left out. Needs valgrind (apt-get install -y valgrind) and
# PostgreSQL's server binaries; runs its own throw-away cluster, as root through the `postgres`
# user. Default N = 1000.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
command -v valgrind >/dev/null || { echo "append-cost: needs valgrind (apt-get install -y valgrind)" >&2; exit 69; }
bindir="$(pg_config --bindir 2>/dev/null || true)"
[ -x "$bindir/initdb" ] || bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
scratch="${BENCH_SCRATCH:-.build-bench}"
swift build -c release --product consult-bench --scratch-path "$scratch" >/dev/null
bench="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/consult-bench"
work="$(mktemp -d /tmp/consult-append-cost.XXXXXX)"
as=()
if [ "$(id -u)" = 0 ]; then chown postgres: "$work"; as=(runuser -u postgres --); fi
trap '"${as[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
"${as[@]}" "$bindir/initdb" -D "$work/data" -U consult --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as[@]}" "$bindir/pg_ctl" -D "$work/data" -o "-k $work -c listen_addresses=''" -w start >/dev/null
export PGHOST="$work" PGUSER=consult
unset PGPORT PGDATABASE
psql -q -d postgres -c 'CREATE DATABASE bench_consult' -c 'CREATE DATABASE bench_pgbench'
"$bench" setup bench_consult Benchmarks/bench-toggle.yaml 256 >/dev/null
"$bindir/pgbench" -i -q -s 1 bench_pgbench >/dev/null 2>&1
"${as[@]}" "$bindir/pg_ctl" -D "$work/data" -w stop >/dev/null

script() { # KIND COUNT: a single-user-mode script (-j: a statement ends at a semicolon and an empty line)
  python3 - "$1" "$2" <<'PY'
import sys
kind, n = sys.argv[1], int(sys.argv[2])
out = []
if kind == "consult":
    out.append("PREPARE ld(bigint) AS SELECT e.consultation_id, e.state, e.version, c.workflow_name, "
               "c.workflow_version, c.state AS cs FROM workshops e JOIN consultations c ON c.id = e.consultation_id "
               "WHERE e.id = $1;")
    out.append("PREPARE tr(bigint, text, text, text) AS WITH moved AS (UPDATE workshops SET state = CASE WHEN "
               "state = 'planned' THEN 'scheduled' ELSE 'planned' END, version = version + 1 WHERE id = $1 "
               "RETURNING id, state, consultation_id) INSERT INTO events (consultation_id, entity_kind, entity_id, "
               "event, from_state, to_state, actor_id, reason, workflow_name, workflow_version, occurred_at, data, "
               "content_hash) SELECT moved.consultation_id, 'workshop', moved.id, 'toggle', CASE WHEN moved.state "
               "= 'planned' THEN 'scheduled' ELSE 'planned' END, moved.state, consult_actor($2), NULL, $3, $4, "
               "coalesce(NULL::timestamptz, clock_timestamp()), NULL::jsonb, decode(NULL::text, 'hex') FROM moved "
               "RETURNING id;")
    for i in range(n):
        w = i % 256 + 1
        out += [f"EXECUTE ld({w});", f"EXECUTE tr({w}, 'bench', 'bench-toggle', '1');"]
else:
    out.append("PREPARE u(int, int) AS UPDATE pgbench_accounts SET abalance = abalance + $2 WHERE aid = $1;")
    out.append("PREPARE s(int) AS SELECT abalance FROM pgbench_accounts WHERE aid = $1;")
    out.append("PREPARE h(int, int) AS INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
               "VALUES (1, 1, $1, $2, CURRENT_TIMESTAMP);")
    for i in range(n):
        a = (i * 7919) % 100000 + 1
        out += ["BEGIN;", f"EXECUTE u({a}, {i % 100});", f"EXECUTE s({a});", f"EXECUTE h({a}, {i % 100});", "END;"]
print("\n\n".join(out) + "\n")
PY
}
count() { # DATABASE KIND COUNT: instructions for the whole single-user session
  script "$2" "$3" >"$work/script.sql"
  chmod a+r "$work/script.sql"
  "${as[@]}" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bindir/postgres" --single -j \
    -D "$work/data" "$1" <"$work/script.sql" >/dev/null 2>"$work/valgrind.log"
  grep -oE 'Collected : [0-9]+' "$work/valgrind.log" | awk '{print $3}'
}
per() { # DATABASE KIND: instructions per transaction
  local a b
  a=$(count "$1" "$2" 100)
  b=$(count "$1" "$2" $((n + 100)))
  echo $(((b - a) / n))
}
pg=$(per bench_pgbench pgbench)
chained=$(per bench_consult consult)
"${as[@]}" "$bindir/postgres" --single -D "$work/data" bench_consult >/dev/null 2>&1 <<'SQL'
ALTER TABLE events DISABLE TRIGGER events_chain; ALTER TABLE events ALTER COLUMN hash DROP NOT NULL;
SQL
unchained=$(per bench_consult consult)
echo "PostgreSQL $("$bindir/postgres" --version | awk '{print $3}'), $n transactions each, instructions per transaction on the server"
printf '%-44s %10s\n' 'pgbench -N (prepared)' "$pg"
printf '%-44s %10s  %5.2fx pgbench\n' 'consult transition, hash chain on' "$chained" "$(awk -v a="$chained" -v b="$pg" 'BEGIN{print a/b}')"
printf '%-44s %10s  %5.2fx pgbench\n' 'consult transition, chain trigger off' "$unchained" "$(awk -v a="$unchained" -v b="$pg" 'BEGIN{print a/b}')"
awk -v a="$chained" -v b="$unchained" 'BEGIN { printf "the chain costs %.0f%% more server work per transition\n", 100 * (a - b) / b }'
