#!/usr/bin/env bash
# Fuzz/run.sh [SECONDS_PER_HARNESS] [HARNESS...]: build consult's libFuzzer harnesses and run each
# for SECONDS_PER_HARNESS (default 80: 9 harnesses, 12 min in all), one after the other.
#
# Harnesses (Fuzz/Sources/consult-fuzz/Harnesses.swift): csv (the CSV reader, through a mapped-CSV
# import), mapped-csv (mapping YAML + CSV), regulations-gov, have-your-say, decidim, polis,
# workflow (a workflow file), guard (a guard expression), output-text (the terminal, CSV-cell and
# control-character rules of ConsultCore's OutputText). Seed corpora are made at run time from
# ../shared/realdata (CONSULT_REALDATA) and the shipped Workflows/; nothing is copied into the
# project. Built with `swift build -c release -Xswiftc -sanitize=fuzzer` (linked by lld) in
# Fuzz/.build, a package of its own: the project's own build and tests never build it.
#
# Prints a table: harness, seconds, executions, executions/s, corpus units, crashes. A crash
# (or timeout, or out-of-memory) leaves its input in $FUZZ_OUT/artifacts (default
# /tmp/consult-fuzz-out) and the script exits 1; replay one with
#   CONSULT_FUZZ_TARGET=csv Fuzz/.build/release/consult-fuzz FILE
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-80}"
shift || true
all=(csv mapped-csv regulations-gov have-your-say decidim polis workflow guard output-text)
if [ $# -gt 0 ]; then harnesses=("$@"); else harnesses=("${all[@]}"); fi
realdata="${CONSULT_REALDATA:-$(cd .. && pwd)/../shared/realdata}"
out="${FUZZ_OUT:-/tmp/consult-fuzz-out}"
swift="${SWIFT:-swift}"
say() { echo "fuzz: $*" >&2; }

say "building the harnesses (swift build -c release -sanitize=fuzzer; the first build takes minutes)…"
"$swift" build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld --product consult-fuzz >&2
binary="$("$swift" build -c release --show-bin-path)/consult-fuzz"

rm -rf "$out"
mkdir -p "$out/seeds" "$out/corpus" "$out/artifacts" "$out/logs"
# The files each input is written to for the parsers to read: in memory (/dev/shm) when there is
# one, since writing them to a disk costs most of the time of an execution.
scratch="$(mktemp -d "$( [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo "$out")/consult-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
say "making seed corpora from $realdata and ../Workflows in $out/seeds…"
python3 - "$realdata" "$out/seeds" ../Workflows <<'PY'
import csv, glob, io, json, os, re, sys
real, seeds, workflows = sys.argv[1], sys.argv[2], sys.argv[3]
LIMIT = 6000  # bytes of a seed: whole lines, so the fuzzer starts from valid files

def head(path, limit=LIMIT, lines=None):
    """The first whole lines of a file within `limit` bytes (raw bytes, as the file has them)."""
    data = open(path, 'rb').read()
    kept, size = [], 0
    for line in data.splitlines(keepends=True):
        if size + len(line) > limit and kept: break
        kept.append(line); size += len(line)
        if lines and len(kept) >= lines: break
    return b''.join(kept)

def put(harness, name, data):
    os.makedirs(os.path.join(seeds, harness), exist_ok=True)
    open(os.path.join(seeds, harness, name), 'wb').write(data)

def rows(path, n=40):
    with open(path, newline='', encoding='utf-8', errors='replace') as f:
        return [r for _, r in zip(range(n), csv.reader(f))]

def as_csv(table, delimiter=','):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator='\r\n').writerows(table)
    return buffer.getvalue().encode()

polis = sorted(glob.glob(os.path.join(real, 'polis', '*', 'comments.csv')))
texts = [r[7] for p in polis for r in rows(p, 60)[1:] if len(r) > 7]
other = sorted(glob.glob(os.path.join(real, 'ep-mep-meetings', '*.csv'))
               + glob.glob(os.path.join(real, 'eu-have-your-say-consultations', '*.csv'))
               + glob.glob(os.path.join(real, 'openconsult-bc', '*.csv')))
# csv: a selector byte (delimiter, encoding), then a file whose first two columns are id and text.
for i, path in enumerate(polis + other):
    table = rows(path, 30)
    if not table: continue
    table[0][0:2] = ['id', 'text']
    body = as_csv(table)[:LIMIT]
    put('csv', f'{i}-comma', b'\x00' + body)
    put('csv', f'{i}-semicolon', b'\x01' + as_csv(table, ';')[:LIMIT])
    put('csv', f'{i}-windows-1252', b'\x04' + body)
# mapped-csv: a mapping, ---csv---, the file.
for i, path in enumerate(polis):
    mapping = b'id: comment-id\ntext: comment-body\nauthor-id: author-id\n'
    put('mapped-csv', f'polis-{i}', mapping + b'---csv---\n' + head(path))
mep = [p for p in other if 'mep' in p]
for i, path in enumerate(mep):
    mapping = (b'id: epid\ntext: title\nauthor: mep\norganisation: lobbyists\ndate: date\n'
               b'date-format: yyyy-MM-dd\ntime-zone: Europe/Brussels\n')
    put('mapped-csv', f'mep-{i}', mapping + b'---csv---\n' + head(path))
# regulations-gov: the docket, ---texts---, the text comments.
docket = os.path.join(real, 'regulations-gov-usda-2017-0002', 'docket-example.csv')
comments = os.path.join(real, 'regulations-gov-usda-2017-0002', 'text-comments-example.csv')
if os.path.exists(docket):
    put('regulations-gov', 'docket-and-texts', head(docket, 4000) + b'---texts---\n' + head(comments, 4000))
    put('regulations-gov', 'docket-only', head(docket))
# have-your-say: feedback JSON in the documented shape, its texts real Polis comments.
for i in range(0, min(len(texts), 30), 3):
    records = [{'id': 5000 + i + k, 'feedback': t, 'dateFeedback': f'2021/0{1 + k}/15 12:30:00',
                'language': 'EN', 'firstName': 'Ann', 'surname': 'Example', 'organization': None,
                'attachments': [{'id': k}] if k else []} for k, t in enumerate(texts[i:i + 3])]
    put('have-your-say', f'array-{i}', json.dumps(records, ensure_ascii=False).encode())
    put('have-your-say', f'object-{i}', json.dumps({'feedback': records}, ensure_ascii=False, indent=1).encode())
# decidim: the open-data comments CSV (;), bodies as JSON objects of locale → text.
header = ['id', 'created_at', 'body', 'locale', 'author/id', 'author/name', 'user_group/name', 'root_commentable_url']
for i in range(0, min(len(texts), 30), 5):
    table = [header] + [[str(100 + i + k), f'2021-03-0{1 + k}T10:00:00+01:00',
                         json.dumps({'en': t, 'de': t[::-1]}, ensure_ascii=False) if k % 2 else t, 'en',
                         str(7 + k), 'Participant', '' if k % 2 else 'Group', 'https://example.org/p/1']
                        for k, t in enumerate(texts[i:i + 5])]
    put('decidim', f'comments-{i}', as_csv(table, ';'))
# polis: the conversations' comments.csv.
for i, path in enumerate(polis):
    put('polis', f'comments-{i}', head(path))
# workflow and guard: the shipped workflow files and their guards.
for path in sorted(glob.glob(os.path.join(workflows, '*.yaml'))):
    data = open(path, 'rb').read()
    put('workflow', os.path.basename(path), data)
    for j, expression in enumerate(re.findall(rb'guard:\s*"([^"]*)"', data)):
        put('guard', f'{os.path.basename(path)}-{j}', expression)
# output-text: stored texts as they come, hostile ones among them.
for i, text in enumerate(texts[:20]):
    put('output-text', f'text-{i}', text.encode())
put('output-text', 'hostile', '=cmd\x1b]0;t\x07\x1b[2J\u202eevil\u2066\u200f\r\n\t\x9b'.encode())
for harness in ['csv', 'mapped-csv', 'regulations-gov', 'have-your-say', 'decidim', 'polis', 'workflow', 'guard',
                'output-text']:
    n = len(os.listdir(os.path.join(seeds, harness))) if os.path.isdir(os.path.join(seeds, harness)) else 0
    print(f'fuzz: {harness}: {n} seeds', file=sys.stderr)
PY

status=0
printf '%-16s %8s %12s %8s %8s %8s\n' harness seconds executions exec/s corpus crashes
for harness in "${harnesses[@]}"; do
  mkdir -p "$out/corpus/$harness" "$out/seeds/$harness"
  log="$out/logs/$harness.log"
  say "running $harness for ${seconds}s (log: $log)…"
  set +e
  SWIFT_BACKTRACE=enable=no CONSULT_FUZZ_TARGET="$harness" CONSULT_FUZZ_SCRATCH="$scratch" \
    "$binary" "$out/corpus/$harness" "$out/seeds/$harness" -max_total_time="$seconds" -max_len=8192 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/artifacts/$harness-" >"$log" 2>&1
  code=$?
  set -e
  executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  ran="$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)"
  crashes="$(find "$out/artifacts" -name "$harness-*" | wc -l)"
  corpus="$(find "$out/corpus/$harness" -type f | wc -l)"
  ran="${ran:-$seconds}"
  rate=$(( ${executions:-0} / (ran > 0 ? ran : 1) ))
  printf '%-16s %8s %12s %8s %8s %8s\n' "$harness" "$ran" "${executions:-?}" "$rate" "$corpus" "$crashes"
  if [ "$code" != 0 ] || [ "$crashes" != 0 ]; then
    status=1
    say "$harness: libFuzzer exited $code; inputs in $out/artifacts; last lines of $log:"
    grep -v '^    #' "$log" | tail -n 15 >&2
  fi
done
exit $status
