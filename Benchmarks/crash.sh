#!/usr/bin/env bash
# Benchmarks/crash.sh [KILLS]: kills `consult` with SIGKILL in the middle of imports and transitions,
# KILLS times (default 100), and checks that nothing is ever left half-written.
#
# Each round picks one of:
#   - a resumable import: `contributions import … --format csv --mapping … --resume --batch-size 500` of
#     a fresh generated CSV of 3,000 rows, killed after a random delay within the time a whole import of
#     3,000 rows took at the start (measured once). What it left must be whole
#     batches (a multiple of 500 rows, or all 3,000); the same command run again to the end must add
#     exactly the missing rows, leaving each of the 3,000 rows once;
#   - an all-or-nothing import (no --resume) of a fresh 2,000-row CSV, killed within the same time: it left
#     all 2,000 rows or none; run again to the end it adds exactly the missing ones;
#   - a transition or a recorded change, killed after 0–80 ms: `workshop advance` (schedule/postpone),
#     `rsvp`, `contribute` (its unique text must then be there once or not at all).
# A kill that lands after the process has already exited is not counted as a kill (the round is
# repeated with another random delay). Afterwards `consult log verify CONSULTATION` (every hash and
# link) and `consult log check` (every state replayed) must pass.
# Prints kills, imports killed (resumable / all-or-nothing), transitions killed, rows lost or
# duplicated and partial imports (both must be 0), and the verify result; exits 1 on any problem.
# Run it through scripts/with-postgres, which provides the server:
#   scripts/with-postgres Benchmarks/crash.sh [KILLS]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${PGHOST:-}" ] || { echo "run me as: scripts/with-postgres $0" >&2; exit 2; }
kills_wanted="${1:-100}"
scratch="${BENCH_SCRATCH:-.build-versions}"
swift build -c release --product consult --scratch-path "$scratch" >/dev/null
consult="$(swift build -c release --scratch-path "$scratch" --show-bin-path)/consult"
work="$(mktemp -d /tmp/consult-crash.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
psql -q -d postgres -c 'DROP DATABASE IF EXISTS crash' -c 'CREATE DATABASE crash'
export CONSULT_DATABASE_URL="postgresql:///crash?host=$PGHOST"
"$consult" db migrate >/dev/null
slug=crash
"$consult" actor add crash --name "Crash test" >/dev/null
export CONSULT_ACTOR=crash
"$consult" open "$slug" --workflow white-paper --title "Crash test" --theme t1="Theme" >/dev/null
for s in 1 2 3 4 5 6 7 8; do "$consult" stakeholder add "s$s" --name "Stakeholder $s" >/dev/null; done
for w in 1 2 3 4; do
  "$consult" workshop add "$slug" "w$w" --title "Workshop $w" --starts 2027-03-01T09:00 --ends 2027-03-01T17:00 >/dev/null
  "$consult" invite "$slug" "w$w" s1 s2 s3 s4 s5 s6 s7 s8 --send >/dev/null
done
"$consult" advance "$slug" open-participation >/dev/null
printf 'id: Reference\ntext: Comment\nauthor: Name\nauthor-id: Respondent\n' >"$work/mapping.yaml"

sql() { psql -d crash -At -c "$1"; }
# Rows of file TAG in the consultation: [total] [distinct texts].
rows_of() {
  sql "select count(*) || ' ' || count(distinct k.text) from contributions k join consultations c
       on c.id = k.consultation_id where c.slug = '$slug' and k.text like '$1 %'"
}
generate() { # TAG ROWS FILE
  python3 - "$@" <<'EOF'
import random, sys
tag, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "w") as f:
    f.write("Reference,Comment,Name,Respondent\n")
    for i in range(1, n + 1):
        words = " ".join(random.choice(["policy", "cyber", "norms", "alliance", "budget", "research"]) for _ in range(random.randint(5, 40)))
        f.write(f'r{i},"{tag} row {i}: {words}",Person {i % 300},a{i % 300}\n')
EOF
}
delay() { python3 -c "import random; print(random.uniform(0, $1))"; }
# Runs COMMAND… in the background, kills it after DELAY seconds; sets killed=1 when the kill hit it.
run_and_kill() {
  local d=$1; shift
  "$@" >"$work/out" 2>"$work/err" & local pid=$!
  sleep "$d"
  kill -KILL "$pid" 2>/dev/null || true
  local rc=0; wait "$pid" 2>/dev/null || rc=$?
  if [ $rc = 137 ]; then killed=1; else killed=0; fi
  if [ $rc != 137 ] && [ $rc != 0 ] && [ $rc != 3 ]; then
    echo "exit $rc: $* $(head -c 300 "$work/err")" >>"$work/problems"
  fi
}
problem() { echo "$*" >>"$work/problems"; }

# How long a whole import of 3,000 rows takes here: the kills land within that time.
generate W0 3000 "$work/W0.csv"
t0=$(python3 -c 'import time; print(time.time())')
"$consult" contributions import "$slug" "$work/W0.csv" --format csv --mapping "$work/mapping.yaml" --resume \
  --batch-size 500 >/dev/null
window=$(python3 -c "import time; print(round((time.time() - $t0) * 0.9, 3))")

kills=0 resumed_midway=0 resume_killed=0 whole_killed=0 transition_killed=0 round=0 lost=0 partial=0
while [ $kills -lt "$kills_wanted" ]; do
  round=$((round + 1))
  case $((RANDOM % 4)) in
    0)
      tag="R$round"; f="$work/$tag.csv"; generate "$tag" 3000 "$f"
      run_and_kill "$(delay "$window")" "$consult" contributions import "$slug" "$f" --format csv \
        --mapping "$work/mapping.yaml" --resume --batch-size 500
      read -r n distinct < <(rows_of "$tag")
      if [ $((n % 500)) != 0 ] && [ "$n" != 3000 ]; then partial=$((partial + 1)); problem "$tag: $n rows after the kill, not whole batches"; fi
      "$consult" contributions import "$slug" "$f" --format csv --mapping "$work/mapping.yaml" \
        --resume --batch-size 500 --json >"$work/out" 2>"$work/err" || problem "$tag: resume failed: $(cat "$work/err")"
      added=$(jq '.added' "$work/out" 2>/dev/null || echo '?')
      read -r m mdistinct < <(rows_of "$tag")
      if [ "$m" != 3000 ] || [ "$mdistinct" != 3000 ] || [ "$added" != $((3000 - n)) ]; then
        lost=$((lost + 1)); problem "$tag: $n rows after the kill; the resume added $added; now $m rows ($mdistinct distinct)"
      fi
      [ $killed = 1 ] && resume_killed=$((resume_killed + 1))
      [ $killed = 1 ] && [ "$n" -gt 0 ] && [ "$n" -lt 3000 ] && resumed_midway=$((resumed_midway + 1)) ;;
    1)
      tag="A$round"; f="$work/$tag.csv"; generate "$tag" 2000 "$f"
      run_and_kill "$(delay "$window")" "$consult" contributions import "$slug" "$f" --format csv --mapping "$work/mapping.yaml"
      read -r n distinct < <(rows_of "$tag")
      if [ "$n" != 0 ] && [ "$n" != 2000 ]; then partial=$((partial + 1)); problem "$tag: $n rows after the kill (all-or-nothing)"; fi
      "$consult" contributions import "$slug" "$f" --format csv --mapping "$work/mapping.yaml" --json \
        >"$work/out" 2>"$work/err" || problem "$tag: re-run failed: $(cat "$work/err")"
      added=$(jq '.added' "$work/out" 2>/dev/null || echo '?')
      read -r m mdistinct < <(rows_of "$tag")
      if [ "$m" != 2000 ] || [ "$mdistinct" != 2000 ] || [ "$added" != $((2000 - n)) ]; then
        lost=$((lost + 1)); problem "$tag: $n rows after the kill; the re-run added $added; now $m rows ($mdistinct distinct)"
      fi
      [ $killed = 1 ] && whole_killed=$((whole_killed + 1)) ;;
    *)
      w="w$((RANDOM % 4 + 1))"
      case $((RANDOM % 3)) in
        0)
          state=$(sql "select w.state from workshops w join consultations c on c.id = w.consultation_id
                       where c.slug = '$slug' and w.key = '$w'")
          [ "$state" = planned ] && e=schedule || e=postpone
          run_and_kill "$(delay 0.08)" "$consult" workshop advance "$slug" "$w" "$e" ;;
        1)
          r=(accept decline tentative)
          run_and_kill "$(delay 0.08)" "$consult" rsvp "$slug" "$w" "s$((RANDOM % 8 + 1))" "${r[$((RANDOM % 3))]}"
          # A refusal (same answer twice) is exit 1 with the workflow's reason: not a problem.
          if [ -s "$work/problems" ] && tail -n 1 "$work/problems" | grep -q "cannot '"; then
            sed -i '$d' "$work/problems"
          fi ;;
        2)
          tag="C$round"
          run_and_kill "$(delay 0.08)" "$consult" contribute "$slug" --stakeholder s1 --text "$tag contribution"
          read -r n distinct < <(rows_of "$tag")
          if [ "$n" -gt 1 ]; then lost=$((lost + 1)); problem "$tag: stored $n times"; fi
          if [ $killed = 0 ] && [ "$n" != 1 ]; then lost=$((lost + 1)); problem "$tag: exit 0 but stored $n times"; fi ;;
      esac
      [ $killed = 1 ] && transition_killed=$((transition_killed + 1)) ;;
  esac
  kills=$((kills + killed))
done

verify=$("$consult" log verify "$slug" 2>&1) && verified=0 || verified=$?
check=$("$consult" log check 2>&1) && checked=0 || checked=$?
echo "rounds: $round (kills within ${window}s of an import's start, 80 ms of a transition's); kills: $kills (resumable imports killed: $resume_killed ($resumed_midway after some batches were committed), all-or-nothing imports killed: $whole_killed, transitions killed: $transition_killed)"
echo "rows lost or duplicated: $lost; partial imports left behind: $partial"
echo "log verify: $verify"
echo "log check: $check"
if [ -s "$work/problems" ]; then echo "problems:"; sed 's/^/  /' "$work/problems" | head -n 20; fi
[ $lost = 0 ] && [ $partial = 0 ] && [ $verified = 0 ] && [ $checked = 0 ] && [ ! -s "$work/problems" ]
