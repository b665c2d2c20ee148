#!/usr/bin/env bash
# Benchmarks/import.sh [ROWS...]: `consult contributions import` against its two baselines, in one
# run against one throw-away server, on dockets shaped like the largest ones (issue 13).
#
# For each size (default 100000 and 1000000; 5000000 if asked) it generates a docket with
# Benchmarks/generate-docket.py (FCC-shaped: 40 form letters, the top seven ~38% of rows, variants
# edited at the start, end, middle or both ends, bursts within one second, names and e-mail
# addresses behind many rows; plus its ground truth) and times:
#   copy         `psql \copy` of the file into a bare table of its five text columns;
#   same-schema  `psql \copy` of the same rows, fingerprints and search vectors computed
#                beforehand (not timed), into the store's own `contributions` table with all its
#                indexes, constraints and triggers: the store's ceiling (no stakeholders, events);
#   consult      `consult contributions import … --format csv --mapping Benchmarks/docket-mapping.yaml`
#                (all or nothing; fingerprints, search vectors, persons, the event log), its peak
#                resident memory by /usr/bin/time -v;
#   resume       the same import with --resume (commits every 10,000 rows) into another consultation;
#   near         `consult-bench near`: the near-duplicate grouping of `campaigns --near` (seconds),
#                its pairwise precision and recall against the ground truth, recall per kind of edit.
# Prints rows/s of each, consult ÷ copy (target ≥ 0.25 at 1M), consult ÷ same-schema (target
# ≥ 0.8), resume ÷ consult (target ≥ 0.9), peak RSS (target ≤ 100 MB), near precision and recall
# (target ≥ 0.95), then the time ratio between the smallest and largest size (linear ⇒ ≈ the size
# ratio). With BENCH_JSON=FILE also writes them as JSON: a list with one object per size.
# Ratios in one run are what count: the machine is shared. Run it through scripts/with-postgres:
#   scripts/with-postgres Benchmarks/import.sh [100000 1000000 5000000]
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
. Benchmarks/common.sh bench
swift build -c release --product consult-bench --scratch-path "$scratch" >/dev/null
bench="$(dirname "$consult")/consult-bench"
mapping="$PWD/Benchmarks/docket-mapping.yaml"
declare -A seconds
json="["
printf '%-8s %11s %11s %11s %11s %11s %7s %7s %7s %8s %9s %9s %8s\n' rows 'copy r/s' 'same r/s' 'consult r/s' \
  'resume r/s' 'near s' '÷copy' '÷same' 'resume' 'RSS MB' 'precision' 'recall' 'both-end'
for n in "${sizes[@]}"; do
  file="$data/docket-$n.csv"
  truth="$data/docket-$n.truth.csv"
  [ -s "$file" ] && [ -s "$truth" ] || python3 Benchmarks/generate-docket.py "$n" "$file"
  # 1. The bare table.
  psql -q -d bench -c 'DROP TABLE IF EXISTS bare' \
    -c 'CREATE TABLE bare (id text, submitted text, name text, email text, text text)'
  t0=$(now); psql -q -d bench -c "\\copy bare FROM '$file' CSV HEADER"; t1=$(now)
  # 2. The same rows into the store's contributions table, derived columns computed beforehand.
  "$consult" open "ceiling-$n" --title "Ceiling $n" >/dev/null
  psql -q -d bench -c "\\copy (SELECT c.id, 'written-submission', b.text, 'en', 'organisation', 'csv:ceiling', b.id,
      b.submitted::timestamptz, 'received', consult_text_fingerprint(b.text), to_tsvector('english', b.text)
      FROM bare b, consultations c WHERE c.slug = 'ceiling-$n') TO '$data/ceiling-$n.tsv'"
  t2=$(now)
  psql -q -d bench -c "\\copy contributions (consultation_id, kind, text, language, attribution, source, source_id,
      received_at, state, fingerprint, search_vector) FROM '$data/ceiling-$n.tsv'"
  t3=$(now)
  rm -f "$data/ceiling-$n.tsv"
  # 3. consult, all or nothing.
  "$consult" open "bench-$n" --title "Benchmark $n" >/dev/null
  t4=$(now)
  /usr/bin/time -v -o "$data/time-$n" "$consult" contributions import "bench-$n" "$file" --format csv \
    --mapping "$mapping" --language en >/dev/null
  t5=$(now)
  rss=$(( $(sed -n 's/.*Maximum resident set size (kbytes): //p' "$data/time-$n") / 1024 ))
  # 4. consult --resume.
  "$consult" open "resume-$n" --title "Resumable $n" >/dev/null
  t6=$(now)
  "$consult" contributions import "resume-$n" "$file" --format csv --mapping "$mapping" --language en --resume >/dev/null
  t7=$(now)
  # 5. Near-duplicates against the ground truth.
  near=$("$bench" near bench "bench-$n" "$truth")
  precision=$(sed -E 's/.*precision ([0-9.]+).*/\1/' <<<"$near")
  recall=$(sed -E 's/.* recall ([0-9.]+).*/\1/' <<<"$near")
  near_s=$(sed -E 's/.*seconds ([0-9.]+).*/\1/' <<<"$near")
  both=$(sed -E 's/.*both ([0-9.]+).*/\1/' <<<"$near")
  copy=$(calc "$t1 - $t0"); same=$(calc "$t3 - $t2"); ours=$(calc "$t5 - $t4"); resume=$(calc "$t7 - $t6")
  seconds[$n]=$ours
  printf '%-8s %11.0f %11.0f %11.0f %11.0f %11.1f %7.3f %7.3f %7.3f %8d %9s %9s %8s\n' "$n" "$(calc "$n / $copy")" \
    "$(calc "$n / $same")" "$(calc "$n / $ours")" "$(calc "$n / $resume")" "$near_s" "$(calc "$copy / $ours")" \
    "$(calc "$same / $ours")" "$(calc "$ours / $resume")" "$rss" "$precision" "$recall" "$both"
  echo "  $near" >&2
  [ "$json" = "[" ] || json+=","
  json+=$(printf '{"rows": %d, "consult_rows_per_s": %.0f, "copy_rows_per_s": %.0f, "same_schema_rows_per_s": %.0f, "resume_rows_per_s": %.0f, "peak_rss_mb": %d, "near_precision": %s, "near_recall": %s, "near_recall_both_ends": %s, "near_seconds": %s, "import_seconds": %.2f}' \
    "$n" "$(calc "$n / $ours")" "$(calc "$n / $copy")" "$(calc "$n / $same")" "$(calc "$n / $resume")" "$rss" \
    "$precision" "$recall" "$both" "$near_s" "$ours")
done
json+="]"
if [ ${#sizes[@]} -ge 2 ]; then
  a=${sizes[0]}; b=${sizes[-1]}
  printf 'time ratio %s/%s rows: %.2f (size ratio %.2f; linear within 15%% ⇒ %.2f–%.2f)\n' "$b" "$a" \
    "$(calc "${seconds[$b]} / ${seconds[$a]}")" "$(calc "$b / $a")" "$(calc "$b / $a * 0.85")" "$(calc "$b / $a * 1.15")"
fi
[ -z "${BENCH_JSON:-}" ] || { echo "$json" | python3 -m json.tool > "$BENCH_JSON"; echo "wrote $BENCH_JSON"; }
