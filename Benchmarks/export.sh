#!/usr/bin/env bash
# Benchmarks/export.sh [ROWS]: exporting the proceedings summary of a consultation with ROWS
# (default 1,000,000) written contributions, next to the bare SQL aggregates it needs, in one run
# against the same throw-away server. Prints the export's time and peak memory, the bare
# queries' time, and their ratio (target ≤ 2×); then the same at ROWS/10 to show memory stays
# flat in the number of contributions. Run it through scripts/with-postgres:
#   scripts/with-postgres Benchmarks/export.sh
set -euo pipefail
cd "$(dirname "$0")/.."
big="${1:-1000000}"
small=$((big / 10))
. Benchmarks/common.sh benchexport
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
printf '%-9s %12s %12s %7s %12s\n' rows 'export (s)' 'bare SQL (s)' ratio 'export RSS'
for n in "$small" "$big"; do
  file="$data/comments-$n.csv"
  [ -s "$file" ] || python3 Benchmarks/generate-comments.py "$n" "$file"
  slug="export-$n"
  "$consult" open "$slug" --title "Export benchmark $n" >/dev/null
  "$consult" contributions import "$slug" "$file" --format polis >/dev/null
  psql -q -d benchexport -c 'VACUUM ANALYZE' >/dev/null
  # The aggregates the summary reads over the contributions (see ConsultStore.proceedings(of:)).
  id=$(psql -Atq -d benchexport -c "SELECT id FROM consultations WHERE slug = '$slug'")
  t0=$(now)
  psql -q -d benchexport -o /dev/null <<SQL
SELECT k.theme, g.name, count(*) FROM contributions k
  LEFT JOIN stakeholders s ON s.id = k.stakeholder_id LEFT JOIN stakeholders o ON o.id = k.organisation_id
  LEFT JOIN stakeholder_groups g ON g.key = coalesce(s.stakeholder_group, o.stakeholder_group)
  WHERE k.consultation_id = $id AND k.kind = 'written-submission' GROUP BY k.theme, g.name;
SELECT o.name, count(*) FROM contributions k JOIN stakeholders o ON o.id = k.organisation_id
  WHERE k.consultation_id = $id AND k.kind = 'written-submission' GROUP BY o.name;
SELECT fingerprint, count(*) FROM contributions WHERE consultation_id = $id AND kind = 'written-submission'
  AND fingerprint IS NOT NULL GROUP BY fingerprint HAVING count(*) > 1;
SQL
  t1=$(now)
  /usr/bin/time -f '%M' -o "$data/export-rss-$n" "$consult" export summary "$slug" --format markdown --output "$data/summary-$n.md" >/dev/null
  t2=$(now)
  export_s=$(python3 -c "print(f'{$t2 - $t1:.2f}')"); bare_s=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
  printf '%-9s %12s %12s %7s %9d MB\n' "$n" "$export_s" "$bare_s" "$(ratio "$export_s" "$bare_s")" \
    $(( $(cat "$data/export-rss-$n") / 1024 ))
done
