# `make test` is the whole test suite; it first installs what is missing.
.PHONY: test deps vet bench quickstart

test: deps vet
	go test -race -count=1 ./...
	@./scripts/no-leftover-containers.sh

deps:
	./scripts/deps.sh

vet:
	go vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }

quickstart:
	go run ./cmd/truss run examples/quickstart/workflow.yaml -i x=10 -i y=3

# Benchmarks behind BENCHMARKS.md (not part of `make test`).
bench:
	./scripts/bench.sh
