#!/usr/bin/env bash
# Benchmarks/erasure.sh [COPIES]: `consult stakeholder forget` over a large record, next to a bare
# scan of every text for the person's name, in one run against the same throw-away server. The
# real regulations.gov docket (../shared/realdata) is imported, then its texts are copied COPIES
# times (default 1,000: about 200,000 contributions) by plain SQL; the person forgotten is the
# author of the first comment, so every copy of it is rewritten and logged. Prints the scan's
# time, the erasure's time (its transaction and the VACUUM of the touched tables) and their ratio.
# Run it through scripts/with-postgres:
#   scripts/with-postgres Benchmarks/erasure.sh
set -euo pipefail
cd "$(dirname "$0")/.."
copies="${1:-1000}"
docket="../shared/realdata/regulations-gov-usda-2017-0002"
[ -d "$docket" ] || { echo "erasure.sh: $docket not found" >&2; exit 2; }
. Benchmarks/common.sh bencherasure
"$consult" actor add docket-staff >/dev/null
"$consult" actor add dpo >/dev/null
"$consult" open usda --workflow notice-and-comment --title USDA --at 2017-07-17 --actor docket-staff >/dev/null
"$consult" advance usda publish-notice --at 2017-07-17T12:00 --actor docket-staff >/dev/null
"$consult" advance usda open-comment-period --at 2017-07-17T12:05 --actor docket-staff >/dev/null
"$consult" contributions import usda "$docket" --format regulations-gov --actor docket-staff >/dev/null
psql -q -d bencherasure <<SQL
INSERT INTO contributions (consultation_id, kind, text, language, stakeholder_id, attribution, source, source_id,
                           received_at, state)
SELECT k.consultation_id, k.kind, k.text || ' #' || g, k.language, k.stakeholder_id, k.attribution, 'bench',
       k.id || '-' || g, k.received_at, k.state
FROM contributions k, generate_series(1, $copies) g;
VACUUM ANALYZE;
SQL
who=$(psql -Atq -d bencherasure -c "SELECT s.id FROM stakeholders s JOIN contributions k ON k.stakeholder_id = s.id
  WHERE s.kind = 'person' AND length(s.name) > 8 ORDER BY k.id LIMIT 1")
psql -Atq -d bencherasure -c "SELECT to_char(count(*), 'FM999,999,999') || ' contributions; forgetting stakeholder #$who, the author of '
  || to_char(count(*) FILTER (WHERE stakeholder_id = $who), 'FM999,999') || ' of them' FROM contributions"
t0=$(now)
psql -Atq -d bencherasure -o /dev/null -c "SELECT count(*) FROM contributions
  WHERE stakeholder_id = $who OR text ILIKE '%' || (SELECT name FROM stakeholders WHERE id = $who) || '%'"
t1=$(now)
"$consult" stakeholder forget "#$who" --reason "erasure request" --actor dpo
t2=$(now)
printf '%-34s %8.2f s\n' "bare scan of every text (ILIKE)" "$(calc "$t1 - $t0")" \
  "stakeholder forget (with VACUUM)" "$(calc "$t2 - $t1")"
printf '%-34s %8.1f×\n' "ratio" "$(calc "($t2 - $t1) / ($t1 - $t0)")"
