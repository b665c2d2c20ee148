#!/usr/bin/env python3
"""generate-comments.py ROWS OUT.csv: writes a Polis-format comments.csv of ROWS synthetic comments.

Shaped like the real files in ../shared/realdata (read when present, never copied):
text lengths are drawn from the regulations.gov and Polis comment texts, and a share of
rows repeat a form letter (optionally with one sentence added), as organised campaigns do.
The texts are synthetic (random words from a fixed vocabulary), so no real comment is copied.
Deterministic for a given ROWS (fixed seed)."""
import csv, os, random, sys

rows, out = int(sys.argv[1]), sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
real = os.path.join(here, "..", "..", "shared", "realdata")
lengths = []
for path, column in [("regulations-gov-usda-2017-0002/text-comments-example.csv", "Text Comment"),
                     ("polis/austria-climate.5twd2jsnkf.2022-08-08/comments.csv", "comment-body"),
                     ("polis/vtaiwan.uberx/comments.csv", "comment-body")]:
    try:
        with open(os.path.join(real, path), encoding="utf-8", newline="") as f:
            lengths += [len(r[column]) for r in csv.DictReader(f) if r[column]]
    except OSError:
        pass
if not lengths:
    lengths = [60, 120, 200, 400, 800, 1500, 5000]
rng = random.Random(20161)
words = ("policy consultation security defence climate transport energy food work tax health "
         "school housing rule reform citizen market industry farm rural city data privacy network "
         "support oppose require reduce increase protect fund plan law agency public private "
         "Bürger Klima Verkehr Energie Steuer Förderung 計程車 平台 服務 規範").split()

def text(n):
    out, size = [], 0
    while size < n:
        w = rng.choice(words)
        out.append(w)
        size += len(w) + 1
    return " ".join(out).capitalize() + "."

forms = [text(rng.choice(lengths)) for _ in range(20)]
with open(out, "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated",
                "comment-body"])
    for i in range(1, rows + 1):
        r = rng.random()
        if r < 0.25:      # exact campaign copy (case and whitespace vary)
            body = rng.choice(forms)
            if rng.random() < 0.3:
                body = body.upper()
        elif r < 0.35:    # near-duplicate: form letter plus a sentence
            body = rng.choice(forms) + " " + text(40)
        else:
            body = text(rng.choice(lengths))
        if rng.random() < 0.05:
            body = body[: len(body) // 2] + "\n" + body[len(body) // 2:]
        w.writerow([1600000000000 + i * 1000, "", i, rng.randrange(rows // 3 + 1), 0, 0,
                    rng.choice(["-1", "0", "1", "1"]), body])
