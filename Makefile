# The two commands a newcomer needs: `make run` and `make test`.
# Everything else here is what they are made of.

CARGO ?= cargo
ADDR ?= 127.0.0.1:8080
DATA_DIR ?= ./data

.PHONY: run test lint unit js vectors gen build-release bench-chat bench-boards

## Start the server with the classroom web app, SQLite under ./data.
run:
	$(CARGO) run --release -p jigsync-server --bin jigsync -- --addr $(ADDR) --data-dir $(DATA_DIR)

## Every check CI runs: formatting, lints, unit, golden-vector and integration
## tests, then the JavaScript interop tests (stock Yjs clients against the server).
test: lint unit js

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	$(CARGO) test --workspace

js:
	$(CARGO) build -p jigsync-server --bin jigsync
	cd client-js && npm ci --no-audit --no-fund
	cd client-js && JIGSYNC_BIN=$(CURDIR)/target/debug/jigsync npm test

## Regenerate schema/vectors after a deliberate wire change.
vectors:
	UPDATE_VECTORS=1 $(CARGO) test -p jigsync-schema --test vectors

## Regenerate everything derived from the schema types: the vectors, and the
## JavaScript client's client-js/src/generated/schema.js and schema.d.ts.
gen: vectors
	UPDATE_GENERATED=1 $(CARGO) test -p jigsync-schema --test generated_js

build-release:
	$(CARGO) build --release --workspace

## Chat fan-out benchmark against a fresh release server (prints figures).
bench-chat: build-release
	./target/release/chat-load

## Board document size, memory and teacher-join figures (prints figures).
bench-boards: build-release
	./target/release/board-figures
