#!/usr/bin/env python3
"""python_csv.py FILE...: reads each FILE with Python's csv module, for consult's differential CSV
reader tests; prints one JSON line per file: {"rows": [[field, ...], ...]} or, when the module
refuses the file, {"rows": [the rows before the error], "error": "message"}.

Dialect: the csv module's default (excel: `,`, `"`, doubled quotes) with strict=True (a character
after a closing quote and a quoted field open at the end are errors), the file opened as UTF-8
with a byte-order mark dropped (utf-8-sig) and newline='' as the csv documentation requires; the
delimiter is `;` when the file name ends in `.semicolon.csv`."""
import csv, json, sys

csv.field_size_limit(1 << 30)
for path in sys.argv[1:]:
    rows = []
    delimiter = ";" if path.endswith(".semicolon.csv") else ","
    try:
        with open(path, encoding="utf-8-sig", newline="", errors="strict") as f:
            for row in csv.reader(f, delimiter=delimiter, strict=True):
                rows.append(row)
        print(json.dumps({"rows": rows}))
    except (csv.Error, UnicodeDecodeError) as e:
        print(json.dumps({"rows": rows, "error": str(e)}))
