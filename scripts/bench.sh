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
# Issue 3: checkpointing, the store's group commit, store size.
run go test ./engine/ -run '^$' -bench 'Checkpoint10k' -benchtime 3x
run go test ./engine/store/ -run '^$' -bench 'PutNode' -benchtime 3x
go test ./engine/ -run 'StoreSizeAfter100Runs' -v -count=1 2>&1 | grep -E 'MB|ok|FAIL'
# Issue 4: R mode.
run go test ./modes/r/ -run '^$' -bench 'StepChain' -benchtime 5x
run go test ./converters/ -run '^$' -bench 'RCSVToDataframe' -benchtime 10x
# Issue 5: shell and docker modes.
run go test ./cli/ -run '^$' -bench 'ShellChain100' -benchtime 5x
run go test ./cli/ -run '^$' -bench 'DockerChain20' -benchtime 2x
run go test ./modes/docker/ -run '^$' -bench 'Pipe1GB' -benchtime 3x
