#!/usr/bin/env bash
# Benchmarks/import.sh [ROWS...]: `consult contributions import` versus `psql \copy` of the same
# file into a bare table with the same columns, against the same throw-away server, in one run.
#
# Generates Polis-format files shaped like the real ones (Benchmarks/generate-comments.py),
# default sizes 100000 and 1000000 rows, builds consult in release mode, and prints for each
# size: rows per second of both, their ratio (target ≥ 0.5), and consult's peak resident memory
# (target ≤ 100 MB at 1M rows); then the time ratio between the sizes (linear growth ⇒ ≈ size ratio).
# The last column is a ceiling, not a target: the rows per second of reading the file alone
# (`consult-bench parse`: CSV.swift and the Polis checks, no database), which no import can beat.
# Run it through scripts/with-postgres, which provides the server:
#   scripts/with-postgres Benchmarks/import.sh
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
. Benchmarks/common.sh bench
swift build -c release --product consult-bench --scratch-path "$scratch" >/dev/null
bench="$(dirname "$consult")/consult-bench"
declare -A seconds
printf '%-9s %14s %14s %7s %12s %21s\n' rows 'copy rows/s' 'consult rows/s' ratio 'consult RSS' 'reading alone rows/s'
for n in "${sizes[@]}"; do
  file="$data/comments-$n.csv"
  [ -s "$file" ] || python3 Benchmarks/generate-comments.py "$n" "$file"
  psql -q -d bench -c 'DROP TABLE IF EXISTS bare' -c 'CREATE TABLE bare (timestamp bigint, datetime text,
    comment_id text, author_id text, agrees int, disagrees int, moderated int, comment_body text)'
  t0=$(now); psql -q -d bench -c "\\copy bare FROM '$file' CSV HEADER"; t1=$(now)
  "$consult" open "bench-$n" --title "Benchmark $n" >/dev/null
  t2=$(now)
  /usr/bin/time -f '%M' -o "$data/rss-$n" "$consult" contributions import "bench-$n" "$file" --format polis >/dev/null
  t3=$(now)
  copy=$(calc "$t1 - $t0"); ours=$(calc "$t3 - $t2")
  seconds[$n]=$ours
  rss=$(( $(cat "$data/rss-$n") / 1024 ))
  parse=$("$bench" parse "$file" | sed -E 's/.*: ([0-9]+) records\/s.*/\1/')
  printf '%-9s %14.0f %14.0f %7.2f %9d MB %21s\n' "$n" "$(calc "$n / $copy")" "$(calc "$n / $ours")" \
    "$(calc "$copy / $ours")" "$rss" "$parse"
done
if [ ${#sizes[@]} -ge 2 ]; then
  a=${sizes[0]}; b=${sizes[-1]}
  printf 'time ratio %s/%s rows: %.2f (size ratio %.2f)\n' "$b" "$a" "$(calc "${seconds[$b]} / ${seconds[$a]}")" \
    "$(calc "$b / $a")"
fi
