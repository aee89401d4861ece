# sumi — see README.md. `make run` starts the server, `make test` runs every test.
GO        ?= go
ORT_DIR   ?= $(CURDIR)/.ort
ORT_LIB   ?= $(ORT_DIR)/libonnxruntime.so.1
export SUMI_ORT_LIB ?= $(ORT_LIB)

.PHONY: all build test test-full lint run ort ort-cuda bench fuzz web clean

all: build

ort: $(ORT_LIB)

$(ORT_LIB):
	tools/install-ort.sh $(ORT_DIR)

ort-cuda: $(ORT_LIB)
	tools/install-ort.sh --cuda $(ORT_DIR)

build: ort
	CGO_ENABLED=1 $(GO) build -o bin/sumi ./cmd/sumi

test: ort
	$(GO) vet ./...
	$(GO) test -race -short -timeout 30m ./...

test-full: ort
	$(GO) test -timeout 60m ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

run: build
	./bin/sumi serve

bench: ort
	$(GO) test -run '^$$' -bench . -benchmem ./...

# fuzz runs every fuzz target (each `func FuzzXxx` in a package's tests)
# for FUZZTIME, one after another; the first failure stops it.
FUZZTIME ?= 30s
fuzz: ort
	@set -e; for d in $$($(GO) list -f '{{.Dir}}' ./...); do \
	  for t in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$d/*_test.go 2>/dev/null | cut -c6-); do \
	    echo "== $$t ($${d#$(CURDIR)/}) for $(FUZZTIME)"; \
	    (cd $$d && $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) .); \
	  done; \
	done

web:
	cd web && npm ci && npm run build

clean:
	rm -rf bin
