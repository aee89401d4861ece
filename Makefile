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

clean:
	rm -rf bin
