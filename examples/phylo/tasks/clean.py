# Cleans anolisDataAppended.csv: its lines end in a bare CR (classic Mac)
# and its first header cell, the species column, is empty. Numbers become
# floats so the R step gets numeric columns.
import csv
import io

lines = raw.replace("\r\n", "\n").replace("\r", "\n")
reader = csv.reader(io.StringIO(lines))
header = next(reader)
header[0] = header[0] or "species"


def value(s):
    try:
        return float(s)
    except ValueError:
        return s


rows = [dict(zip(header, map(value, rec))) for rec in reader if rec]
table = {"fields": header, "rows": rows}
print(f"cleaned {len(rows)} species, {len(header)} columns")
