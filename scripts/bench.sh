#!/usr/bin/env bash
# Runs the benchmarks behind BENCHMARKS.md, each beside its baseline where
# the issue names one. Figures are machine-dependent: run on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { echo "+ $*"; "$@" 2>&1 | grep -E '^(Benchmark|ok|FAIL)' ; }
run go test ./engine/ -run '^$' -bench 'Scheduler10k' -benchtime 5x
run go test ./dag/ -run '^$' -bench 'Compile' -benchtime 3x -benchmem
run go test ./formats/ -run '^$' -bench 'CSVToRows100MB|NewickParse100kLeaves' -benchtime 3x
run go test ./modes/python/ -run '^$' -bench . -benchtime 3x
run go test ./cli/ -run '^$' -bench PythonChain100 -benchtime 3x
