#!/usr/bin/env bash
# Benchmarks/stress.sh [SECONDS] [PROCESSES]: many concurrent `consult` processes on one consultation,
# then a check that what the clients were told was committed is exactly what the database holds.
# Defaults: 60 seconds, 16 processes.
#
# Sets up one white-paper consultation (two themes, 48 stakeholders, three workshops with every
# stakeholder invited and the invitations sent, the participatory phase open, the workshops scheduled,
# a proceedings summary drafting for each), then starts PROCESSES shell loops, each running `consult`
# commands one after another until SECONDS have passed, picked at random: contribute, rsvp (accept,
# decline, tentative), workshop reschedule, theme add, contributions tag, summary edit (while
# drafting), contributions import of a fresh 5-row CSV (--format csv --mapping …) and, now and then,
# a re-import of a file the same process imported before (must add nothing). Every command is logged
# with its exit status: 0 committed, 3 conflict (someone else changed it first; nothing written),
# 1 with the workflow's "cannot 'EVENT' in state …" refused (an rsvp the invitation's state does not
# allow, e.g. accept twice), anything else a failure.
#
# Then it compares the clients' reports with the database:
#   - contributions: every id `contribute` reported exists once, with its text; the contributions
#     in the consultation = committed contributes + rows the committed imports reported added;
#     no text twice (every text written is unique); a re-import added 0;
#   - events: for every entity kind and event, the events in the log since the setup = the events the
#     committed commands report (1 per contribute, rsvp, reschedule, theme add and summary edit; the
#     tagged count per tag; one contribution-batch event per import that added rows, migration 0040);
#   - themes: 2 + committed theme adds;
# and runs `consult log verify CONSULTATION` and `consult log check`.
# Prints operations, committed, conflicts, refused, failures, lost or duplicated (must be 0) and the
# verify result; exits 1 if anything was lost or duplicated, a command failed, or verify/check failed.
# Run it through scripts/with-postgres, which provides the server:
#   scripts/with-postgres Benchmarks/stress.sh [SECONDS] [PROCESSES]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${PGHOST:-}" ] || { echo "run me as: scripts/with-postgres $0" >&2; exit 2; }
seconds="${1:-60}"
processes="${2:-16}"
scratch="${BENCH_SCRATCH:-.build-versions}"
swift build -c release --product consult --scratch-path "$scratch" >/dev/null
consult="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/consult"
work="$(mktemp -d /tmp/consult-stress.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
psql -q -d postgres -c 'DROP DATABASE IF EXISTS stress' -c 'CREATE DATABASE stress'
export CONSULT_DATABASE_URL="postgresql:///stress?host=$PGHOST"
"$consult" db migrate >/dev/null

# Setup, as actor "setup".
slug=stress
stakeholders=48
workshops=3
"$consult" actor add setup --name "Stress setup" >/dev/null
export CONSULT_ACTOR=setup
"$consult" open "$slug" --workflow white-paper --title "Stress test" \
  --theme t1="First theme" --theme t2="Second theme" >/dev/null
handles=()
for s in $(seq 1 "$stakeholders"); do
  "$consult" stakeholder add "s$s" --name "Stakeholder $s" >/dev/null
  handles+=("s$s")
done
for w in $(seq 1 "$workshops"); do
  "$consult" workshop add "$slug" "w$w" --title "Workshop $w" --starts "2027-01-1${w}T09:00" \
    --ends "2027-01-1${w}T17:00" >/dev/null
  "$consult" invite "$slug" "w$w" "${handles[@]}" --send >/dev/null
done
"$consult" advance "$slug" open-participation >/dev/null
for w in $(seq 1 "$workshops"); do
  "$consult" workshop advance "$slug" "w$w" schedule >/dev/null
  "$consult" summary draft "$slug" "w$w" --title "Proceedings of workshop $w" --text "First draft." >/dev/null
done
printf 'id: Reference\ntext: Comment\nauthor: Name\nauthor-id: Respondent\n' >"$work/mapping.yaml"
q="select entity_kind || ' ' || event, count(*) from events e join consultations c on c.id = e.consultation_id
   where c.slug = '$slug' group by 1 order by 1"
psql -d stress -AtF ' ' -c "$q" >"$work/events-before"

# One worker: runs commands until the deadline; logs "OP EXIT KIND:EVENT=N… [id=ID] [file=F]" per command.
worker() {
  local p=$1 end=$2 i=0 log="$work/log-$p" out err rc op n w s kind
  local responses=(accept decline tentative)
  export CONSULT_ACTOR="p$p"
  local imported=()
  while [ "$(date +%s)" -lt "$end" ]; do
    i=$((i + 1))
    w="w$((RANDOM % workshops + 1))"
    s="s$((RANDOM % stakeholders + 1))"
    out="$work/out-$p"; err="$work/err-$p"
    case $((RANDOM % 10)) in
      0 | 1)
        op=contribute
        "$consult" contribute "$slug" --stakeholder "$s" --text "p$p op $i word$((RANDOM % 8)) text" --json \
          >"$out" 2>"$err" && rc=0 || rc=$?
        [ $rc = 0 ] && kind="contribution:create=1 id=$(jq -r .id "$out")" ;;
      2 | 3)
        op=rsvp; local r=${responses[$((RANDOM % 3))]}
        "$consult" rsvp "$slug" "$w" "$s" "$r" --json >"$out" 2>"$err" && rc=0 || rc=$?
        kind="invitation:$r=1" ;;
      4)
        op=reschedule; local day=$((RANDOM % 28 + 1))
        "$consult" workshop reschedule "$slug" "$w" --starts "$(printf '2027-02-%02dT09:%02d' "$day" $((i % 60)))" \
          --ends "$(printf '2027-02-%02dT17:00' "$day")" --json >"$out" 2>"$err" && rc=0 || rc=$?
        kind="workshop:reschedule=1" ;;
      5)
        op=theme-add
        "$consult" theme add "$slug" "p$p-$i" --title "Theme $i of process $p" --json >"$out" 2>"$err" && rc=0 || rc=$?
        kind="consultation:add-theme=1" ;;
      6)
        op=tag
        "$consult" contributions tag "$slug" --search "word$((RANDOM % 8))" --theme "t$((RANDOM % 2 + 1))" --json \
          >"$out" 2>"$err" && rc=0 || rc=$?
        [ $rc = 0 ] && kind="contribution:tag=$(jq '.tagged' "$out")" ;;
      7)
        op=summary-edit
        "$consult" summary edit "$slug" "$w" --text "Draft by process $p, operation $i." --json \
          >"$out" 2>"$err" && rc=0 || rc=$?
        kind="proceedings-summary:revise-text=1" ;;
      *)
        if [ ${#imported[@]} -gt 0 ] && [ $((RANDOM % 4)) = 0 ]; then
          op=reimport; local f=${imported[$((RANDOM % ${#imported[@]}))]}
        else
          op=import; local f="$work/p$p-$i.csv"
          {
            echo 'Reference,Comment,Name,Respondent'
            for row in 1 2 3 4 5; do echo "r$row,\"Imported by p$p, file $i, row $row, word$((RANDOM % 8))\",Person $row,a$row"; done
          } >"$f"
        fi
        "$consult" contributions import "$slug" "$f" --format csv --mapping "$work/mapping.yaml" --json \
          >"$out" 2>"$err" && rc=0 || rc=$?
        if [ $rc = 0 ]; then
          n=$(jq .added "$out")
          # One event per import batch (migration 0040): a 5-row import that adds rows logs one.
          kind="contribution-batch:import=$((n > 0 ? 1 : 0)) added=$n file=$f"
          [ $op = import ] && imported+=("$f")
        fi ;;
    esac
    if [ $rc = 1 ] && grep -q "cannot '" "$err"; then rc=refused; fi
    if [ $rc != 0 ]; then
      kind="-"
      [ $rc = 3 ] || [ $rc = refused ] || { echo "p$p $op exit $rc: $(head -c 400 "$err")" >>"$work/failures"; }
    fi
    echo "$op $rc $kind" >>"$log"
  done
}

for p in $(seq 1 "$processes"); do "$consult" actor add "p$p" --name "Stress process $p" >/dev/null; done
end=$(($(date +%s) + seconds))
for p in $(seq 1 "$processes"); do worker "$p" "$end" & done
wait
cat "$work"/log-* >"$work/all"

psql -d stress -AtF ' ' -c "$q" >"$work/events-after"
psql -d stress -AtF '|' -c "select k.id, k.text from contributions k join consultations c on c.id = k.consultation_id
  where c.slug = '$slug'" >"$work/contributions"
psql -d stress -At -c "select count(*) from themes t join consultations c on c.id = t.consultation_id
  where c.slug = '$slug'" >"$work/themes"
verify=$("$consult" log verify "$slug" 2>&1) && verified=0 || verified=$?
check=$("$consult" log check 2>&1) && checked=0 || checked=$?

python3 - "$work" "$processes" "$seconds" "$verified" "$checked" "$verify" "$check" <<'EOF'
import collections, os, sys
work, processes, seconds, verified, checked, verify, check = sys.argv[1:]
ops = [line.split() for line in open(os.path.join(work, "all"))]
by_exit = collections.Counter(op[1] for op in ops)
expected = collections.Counter()
ids, files = [], []
for op in ops:
    if op[1] != "0":
        continue
    for field in op[2:]:
        key, value = field.split("=", 1) if field.startswith(("id=", "file=", "added=")) else field.rsplit("=", 1)
        if field.startswith("added="):
            continue
        if field.startswith("id="):
            ids.append(int(value))
        elif field.startswith("file="):
            files.append((op[0], value))
        else:
            expected[key.replace(":", " ")] += int(value)
def counts(name):
    return collections.Counter({k: int(v) for k, v in (line.rsplit(" ", 1) for line in open(os.path.join(work, name)))})
before, after = counts("events-before"), counts("events-after")
actual = after - before
problems = []
for key in sorted(set(expected) | set(actual)):
    if expected[key] != actual[key]:
        problems.append(f"events {key}: clients committed {expected[key]}, log has {actual[key]} new")
rows = [line.rstrip("\n").split("|", 1) for line in open(os.path.join(work, "contributions"))]
texts = {int(i): t for i, t in rows}
expected_rows = sum(1 for op in ops if op[0] == "contribute" and op[1] == "0") + \
    sum(int(f.split("=")[1]) for op in ops if op[0] in ("import", "reimport") and op[1] == "0"
        for f in op[2:] if f.startswith("added="))
if len(rows) != expected_rows:
    problems.append(f"contributions: clients committed {expected_rows}, database has {len(rows)}")
lost = [i for i in ids if i not in texts]
if lost:
    problems.append(f"contribute ids reported but missing: {lost[:10]}")
dup_ids = [i for i, n in collections.Counter(ids).items() if n > 1]
if dup_ids:
    problems.append(f"contribute ids reported twice: {dup_ids[:10]}")
dup_texts = [t for t, n in collections.Counter(texts.values()).items() if n > 1]
if dup_texts:
    problems.append(f"texts stored twice: {dup_texts[:5]}")
reimports = [op for op in ops if op[0] == "reimport" and op[1] == "0" and "added=0" not in op[2:]]
if reimports:
    problems.append(f"re-imports that added rows: {len(reimports)}")
themes = int(open(os.path.join(work, "themes")).read())
theme_adds = sum(1 for op in ops if op[0] == "theme-add" and op[1] == "0")
if themes != 2 + theme_adds:
    problems.append(f"themes: 2 + {theme_adds} committed, database has {themes}")
failures = sum(n for k, n in by_exit.items() if k not in ("0", "3", "refused"))
per_op = collections.defaultdict(collections.Counter)
for op in ops:
    per_op[op[0]][op[1]] += 1
print(f"{processes} processes, {seconds} s, {len(ops)} operations ({len(ops) / int(seconds):.0f}/s)")
print(f"{'command':<14} {'ops':>7} {'committed':>10} {'conflicts':>10} {'refused':>8} {'failures':>9}")
for name in sorted(per_op):
    c = per_op[name]
    print(f"{name:<14} {sum(c.values()):>7} {c['0']:>10} {c['3']:>10} {c['refused']:>8} "
          f"{sum(v for k, v in c.items() if k not in ('0', '3', 'refused')):>9}")
print(f"{'all':<14} {len(ops):>7} {by_exit['0']:>10} {by_exit['3']:>10} {by_exit['refused']:>8} {failures:>9}")
print(f"contributions committed: {expected_rows} (database: {len(rows)}); events committed: {sum(expected.values())} "
      f"(log: {sum(actual.values())} new)")
print(f"lost or duplicated: {len(problems)}")
for p in problems:
    print("  " + p)
print(f"log verify: {verify.strip()}")
print(f"log check: {check.strip()}")
if os.path.exists(os.path.join(work, "failures")):
    print("failures (first 10):")
    for line in open(os.path.join(work, "failures")).readlines()[:10]:
        print("  " + line.rstrip())
sys.exit(1 if problems or failures or verified != "0" or checked != "0" else 0)
EOF
