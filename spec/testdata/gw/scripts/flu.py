import csv
data = {"fields": [], "rows": []}
