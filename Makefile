# The two commands: `make run` and `make test`. Everything they need is installed here.
GO          ?= go
GOBIN       ?= $(shell $(GO) env GOPATH)/bin
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MINIO       := $(GOBIN)/minio
DATA        ?= ./var
ADDR        ?= 127.0.0.1:8080
BENCH_ROWS  ?= 5000000
BENCH_ENTRIES ?= 100000
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# Tests find the MinIO server binary here (lake/s3/miniotest).
export ECOLAKE_MINIO := $(MINIO)

.PHONY: all build run test vet bench bench-catalog bench-search faults fuzz minio postgres chromium clean

all: build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/ecolake ./cmd/ecolake

# Starts the service with the demo directory on the embedded default (local lake and journal under
# $(DATA), no other process).
run: build
	./bin/ecolake serve --demo --data $(DATA) --addr $(ADDR)

# MinIO is AGPL: it is only ever built and run as a separate process for the S3 tests, never imported.
minio: $(MINIO)
$(MINIO):
	GOBIN=$(GOBIN) GOFLAGS=-mod=mod $(GO) install github.com/minio/minio@$(MINIO_VERSION)

# PostgreSQL for the postgres connector's tests (ingest/postgres/pgtest): the system package; each
# test package runs its own server from these binaries.
postgres:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { \
		SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; }

# Headless Chromium for the UI's end-to-end tests (web/e2e): the system package, with a font for
# Chinese text so that the pages' screenshots are legible.
chromium:
	@{ test -x /usr/bin/chromium && fc-list :lang=zh | grep -q .; } 2>/dev/null || { \
		SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-wqy-microhei; }

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

# The schema builds share types between goroutines without a global lock, and native copies are
# made and dropped beside their readers: their tests run under the race detector too. The query
# layer's tests run again with every snapshot read from its native copy after its first read:
# what a principal sees must not depend on where the rows are read from.
test: $(MINIO) postgres chromium vet build
	$(GO) test -count=1 -timeout 25m ./...
	$(GO) test -count=1 -race -run 'TestConcurrentBuilds|TestCachedSchemas|TestTableTypesShared|TestFieldEnumsWarmed|TestNativeCopies|TestConcurrentRequestsDuringChanges|TestSchemaSwap' ./query
	ECOLAKE_TEST_NATIVE=1 $(GO) test -count=1 ./query

# Throughput against DuckDB's own CSV -> Parquet on the same file, a province-size catalogue
# (BENCH_ENTRIES entries of 20 items written with 1 and 16 writers, checkpoint bytes, start-up
# time and memory, the cockpit page's requests), the three management figures over 100,000
# entries, the catalogue on one node against three (command latency, and a follower catching up
# on BENCH_ENTRIES entries), plus the package benchmarks and the collection's reading of
# manifests from MinIO (one at a time against several).
bench: $(MINIO) build
	$(GO) run ./bench -rows $(BENCH_ROWS) -entries $(BENCH_ENTRIES) -lineage 10000
	$(GO) run ./bench -rows 0 -cluster $(BENCH_ENTRIES)
	$(GO) test -run '^$$' -bench . -benchtime 3x ./lake/... ./ingest/... ./query/...
	$(GO) test -run '^$$' -bench 'ThreeFigures100k' -benchtime 5x ./catalog/
	$(GO) test -run '^$$' -bench 'LiveKeysMinIO' -benchtime 5x ./internal/app/

# The catalogue alone: the province-size run (entries written through the directory workflow by
# 16 writers and by one, start-up to a served query, memory, the collection figure), the
# per-command cost as the directory grows, and the reads over 100k entries.
bench-catalog:
	$(GO) run ./bench -rows 0 -entries $(BENCH_ENTRIES)
	$(GO) test -run '^$$' -bench 'PutEntry|Register|LoadAfterHistory' -benchtime 2000x ./catalog/
	$(GO) test -run '^$$' -bench '100k' -benchtime 5x ./catalog/

# The directory search at province size: BENCH_ENTRIES entries of 20 items written through
# PutEntry (16 writers), the index built from the catalogue, search latency per query kind.
bench-search:
	$(GO) test -run '^$$' -bench BenchmarkSearch -benchtime 200x -timeout 2h ./catalog/search/ -search.entries $(BENCH_ENTRIES)

# The long fault runs (the short version of each runs in `make test`): FAULT_TRIALS kill -9 trials
# per lake (local and MinIO) at random points of ingest, submission, commit, checkpoint, gc and
# backup; MinIO stopped mid-load; a full data directory; a corrupted lake object; LOAD_DURATION of
# 64 clients reading while loads commit; then `make fuzz`. Tables and curves go to test-output/.
FAULT_TRIALS  ?= 200
LOAD_DURATION ?= 10m
FUZZTIME      ?= 10m
faults: $(MINIO) build
	ECOLAKE_FAULT_TRIALS=$(FAULT_TRIALS) $(GO) test -count=1 -timeout 6h -v -run 'TestFault' -skip 'TestFaultLoad' ./test/
	ECOLAKE_LOAD_DURATION=$(LOAD_DURATION) $(GO) test -count=1 -timeout 2h -v -run 'TestFaultLoad' ./test/
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME)

# Every parser of outside input (each `func Fuzz…`) fuzzed for FUZZTIME, FUZZ_JOBS (2) at a time; the table goes to
# test-output/fuzz.txt and each corpus (the smallest inputs) is kept under testdata/fuzz.
fuzz:
	FUZZTIME=$(FUZZTIME) FUZZ_JOBS=$${FUZZ_JOBS:-2} FUZZ_PARALLEL=$${FUZZ_PARALLEL:-1} GO=$(GO) ./test/faults/fuzz.sh

clean:
	rm -rf bin $(DATA)
