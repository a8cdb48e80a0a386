# The two commands: `make run` and `make test`. Everything they need is installed here.
GO          ?= go
GOBIN       ?= $(shell $(GO) env GOPATH)/bin
MINIO_VERSION := v0.0.0-20260212201848-7aac2a2c5b7c
MINIO       := $(GOBIN)/minio
DATA        ?= ./var
ADDR        ?= 127.0.0.1:8080
BENCH_ROWS  ?= 1000000
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# Tests find the MinIO server binary here (lake/s3/miniotest).
export ECOLAKE_MINIO := $(MINIO)

.PHONY: all build run test vet bench minio clean

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

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }

test: $(MINIO) vet build
	$(GO) test -count=1 -timeout 25m ./...

# Throughput against DuckDB's own CSV -> Parquet on the same file, plus the package benchmarks.
bench: build
	$(GO) run ./bench -rows $(BENCH_ROWS)
	$(GO) test -run '^$$' -bench . -benchtime 3x ./lake/... ./ingest/... ./query/...

clean:
	rm -rf bin $(DATA)
