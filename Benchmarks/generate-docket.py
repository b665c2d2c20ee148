#!/usr/bin/env python3
"""generate-docket.py ROWS OUT.csv: writes a docket of ROWS synthetic written submissions shaped like
the largest public comment proceedings, and OUT.truth.csv, the ground truth of campaign membership.

Shape (after the FCC's 2017 net neutrality docket, 17-108, as Pew Research Center described it in
"Public Comments to the Federal Communications Commission About Net Neutrality Contain Many
Inaccuracies and Duplicates", 2017: most comments submitted many times, the seven most-submitted
texts about 38% of all, 475,482 comments posted in the same second):
- campaigns: 40 form letters (synthetic texts of 30 to 120 words). The top seven take about 38% of
  the rows; the other 33 share about 22%; the remaining ~40% are texts of their own (singletons);
- in each campaign about 60% of the copies are the letter as sent, sometimes in upper case or with
  other spacing and punctuation (an *exact* copy once normalised), and about 40% are *variants*:
  edited at the start (a greeting or sentence added, or the first words replaced), at the end (a
  sentence or signature added, or the last words replaced), in the middle (a few words replaced,
  or a sentence added), or at both ends — never more than about a quarter of the letter changed;
- bursts: 30% of campaign copies arrive in bursts of thousands within one second (up to 475,482
  rows, scaled to the file), the rest spread over a 90-day comment period; singletons spread out;
- people: a pool of synthetic names and e-mail addresses, smaller than the rows, so that the same
  name and the same e-mail address stand behind many submissions (a few addresses behind thousands:
  the "same e-mail address" signal), as in the FCC docket.

Columns: `id` (1..ROWS), `submitted` (ISO 8601 UTC, to the second), `name`, `email`, `text`. Import
with `consult contributions import C OUT.csv --format csv --mapping Benchmarks/docket-mapping.yaml`
(e-mail address as the author key: rows with one address are one person).

OUT.truth.csv: `id,campaign,edit`: the campaign number (1..40) of each row sent as part of a
campaign, exact or variant, empty for a singleton; and how its text was edited: `exact` (case,
spacing, punctuation only), `start`, `end`, `middle` or `both` (both ends), empty for a singleton. Texts are synthetic words (no real comment is copied);
deterministic for a given ROWS (fixed seed). Memory is flat in ROWS: rows are written as drawn."""
import csv, os, random, sys

rows, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(17108)

# A vocabulary of pseudo-words with a Zipf-like frequency, so that two unrelated texts share few
# word sequences (as two different real comments do) but common words recur.
letters = "abcdefghijklmnopqrstuvwxyz"
vocabulary = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(2, 10))) for _ in range(12000)})
rng.shuffle(vocabulary)
weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(vocabulary))]
cumulative, total = [], 0.0
for w in weights:
    total += w
    cumulative.append(total)


def words(n):
    return rng.choices(vocabulary, cum_weights=cumulative, k=n)


def sentence(n=None):
    n = n or rng.randint(6, 16)
    return " ".join(words(n)).capitalize() + "."


def paragraph(word_count):
    out, count = [], 0
    while count < word_count:
        s = sentence()
        out.append(s)
        count += len(s.split())
    return " ".join(out)


campaigns = [paragraph(rng.randint(30, 120)) for _ in range(40)]
# Shares of all rows: the top seven about 38% together, the next 33 about 22%.
top = [0.09, 0.07, 0.06, 0.05, 0.045, 0.035, 0.03]
rest = [0.22 / 33] * 33
shares = top + rest
singleton_share = 1 - sum(shares)


def vary_case_and_spacing(text):
    r = rng.random()
    if r < 0.15:
        return text.upper()
    if r < 0.3:
        return text.replace(". ", ".  ").replace(",", " ,")
    if r < 0.4:
        return text.replace(".", "!")
    return text


def edit_words(tokens, start, count):
    tokens[start:start + count] = words(count)


def variant(text, where):
    tokens = text.split()
    n = len(tokens)
    small = max(2, n // 12)
    if where in ("start", "both"):
        if rng.random() < 0.5:
            tokens = (rng.choice(["Dear Commissioner,", "To whom it may concern:", "Hello FCC."]) + " " + sentence()).split() + tokens
        else:
            edit_words(tokens, 0, rng.randint(2, small))
    if where in ("end", "both"):
        if rng.random() < 0.5:
            tokens = tokens + (sentence() + " " + rng.choice(["Sincerely,", "Thank you,", "Regards,"]) + " " + " ".join(words(2)).title()).split()
        else:
            edit_words(tokens, len(tokens) - rng.randint(2, small), small)
    if where == "middle":
        if rng.random() < 0.5:
            at = rng.randint(n // 4, 3 * n // 4)
            tokens = tokens[:at] + sentence().split() + tokens[at:]
        else:
            for _ in range(rng.randint(1, 3)):
                edit_words(tokens, rng.randint(n // 4, 3 * n // 4), rng.randint(1, 3))
    return " ".join(tokens)


# People: first and last names from pseudo-words; e-mail addresses from a pool smaller than the
# rows, a few of them behind thousands of submissions.
people = max(100, rows // 4)
heavy = [f"{w}@{rng.choice(vocabulary)}.example" for w in words(5)]


def person():
    r = rng.random()
    if r < 0.05:
        email = rng.choice(heavy)
        return email.split("@")[0].title() + " " + "Campaign", email
    k = rng.randrange(people)
    first = vocabulary[(k * 7919) % len(vocabulary)].title()
    last = vocabulary[(k * 104729 + 13) % len(vocabulary)].title()
    # The same name behind several addresses, too (common names).
    if rng.random() < 0.1:
        first, last = "John", "Doe"
    return f"{first} {last}", f"{first.lower()}.{last.lower()}{k}@mail.example"


period = 90 * 86400
start = 1_494_633_600  # 2017-05-13T00:00:00Z, the opening of a comment period
# Burst seconds: the largest holds 475,482/21,700,000 of the rows (scaled), others less.
bursts = []
remaining_burst = int(rows * 0.3 * 0.38)
largest = max(1, int(rows * 475_482 / 21_700_000))
size = largest
while remaining_burst > 0:
    n = min(size, remaining_burst)
    bursts.append([start + rng.randrange(period), n])
    remaining_burst -= n
    size = max(50, size // 2)
burst_index = 0


def timestamp(in_campaign):
    global burst_index
    if in_campaign and bursts and rng.random() < 0.3:
        for _ in range(len(bursts)):
            b = bursts[burst_index % len(bursts)]
            burst_index += 1
            if b[1] > 0:
                b[1] -= 1
                return b[0]
    return start + rng.randrange(period)


def iso(t):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


cum_shares, acc = [], 0.0
for s in shares:
    acc += s
    cum_shares.append(acc)
# Written under temporary names and renamed at the end, so an interrupted run leaves no file
# that looks complete.
truth_path = out.rsplit(".", 1)[0] + ".truth.csv"
with open(out + ".part", "w", encoding="utf-8", newline="") as f, open(truth_path + ".part", "w", newline="") as t:
    w = csv.writer(f, lineterminator="\n")
    truth = csv.writer(t, lineterminator="\n")
    w.writerow(["id", "submitted", "name", "email", "text"])
    truth.writerow(["id", "campaign", "edit"])
    for i in range(1, rows + 1):
        r = rng.random()
        campaign = next((c for c, bound in enumerate(cum_shares) if r < bound), None)
        edit = ""
        if campaign is None:
            body = paragraph(rng.randint(5, 60))
        else:
            body = campaigns[campaign]
            if rng.random() < 0.4:
                edit = rng.choice(["start", "end", "middle", "both"])
                body = variant(body, edit)
            else:
                edit = "exact"
                body = vary_case_and_spacing(body)
        name, email = person()
        w.writerow([i, iso(timestamp(campaign is not None)), name, email, body])
        truth.writerow([i, "" if campaign is None else campaign + 1, edit])
os.replace(out + ".part", out)
os.replace(truth_path + ".part", truth_path)
