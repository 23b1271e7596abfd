# The two commands a newcomer needs: `make run` and `make test`.
# Everything else here is what they are made of.

CARGO ?= cargo
ADDR ?= 127.0.0.1:8080
DATA_DIR ?= ./data
CLASSROOM := examples/classroom

.PHONY: run test lint unit js web web-test vectors gen build-release cluster bench-chat bench-cluster bench-boards bench-drag bench-dashboard bench-smoke bench-tls fuzz fuzz-tools bench-soak bench-drops

## Start the server with the classroom web app, SQLite under ./data.
run: web
	$(CARGO) run --release -p jigsync-server --bin jigsync -- --addr $(ADDR) --data-dir $(DATA_DIR) \
		--web-dir $(CLASSROOM)/dist

## Every check CI runs: formatting, lints, unit, golden-vector and integration
## tests, the JavaScript client's tests (against the real server, and stock Yjs
## clients), the classroom web app in headless Chromium (installed from
## Debian's packages when missing), a few seconds of the drag benchmark
## against every peer, and 30 s of each fuzz target.
test: lint unit js web-test bench-smoke bench-tls fuzz

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Library, binary and integration tests. The workspace has no doctests, so
# rustdoc is not run (the one CI failure we could not reproduce was a
# rustdoc invocation exiting 101).
unit:
	$(CARGO) test --workspace --lib --bins --tests

js: client-js/node_modules/.package-lock.json
	$(CARGO) build -p jigsync-server --bin jigsync
	cd client-js && JIGSYNC_BIN=$(CURDIR)/target/debug/jigsync npm test

# A package's npm ci, again whenever its lock file changed since the last install.
%/node_modules/.package-lock.json: %/package-lock.json
	cd $* && npm ci --no-audit --no-fund

## Build the classroom web app into examples/classroom/dist (served at `/`).
web: $(CLASSROOM)/node_modules/.package-lock.json
	cd $(CLASSROOM) && npx vite build --logLevel warn

## The classroom app end to end: a teacher and two students in three
## Chromium contexts against the real server. Screenshots land in
## examples/classroom/test-results/screenshots.
web-test: web
	$(CARGO) build -p jigsync-server --bin jigsync
	$(CLASSROOM)/scripts/ensure-chromium.sh
	cd $(CLASSROOM) && JIGSYNC_BIN=$(CURDIR)/target/debug/jigsync npm test

## Regenerate schema/vectors after a deliberate wire change.
vectors:
	UPDATE_VECTORS=1 $(CARGO) test -p jigsync-schema --test vectors

## Regenerate everything derived from the schema types: the vectors, and the
## JavaScript client's client-js/src/generated/schema.js and schema.d.ts.
gen: vectors
	UPDATE_GENERATED=1 $(CARGO) test -p jigsync-schema --test generated_js

build-release:
	$(CARGO) build --release --workspace

## A cluster on this machine (examples/cluster/README.md): three nodes on a
## throwaway Postgres, HAProxy in front on ADDR (Postgres and HAProxy are
## installed from Debian's packages when missing). Prints the URL to open and
## the nodes' pids (kill one to watch a failover); Ctrl-C stops everything.
cluster: web build-release
	JIGSYNC_LB_ADDR=$(ADDR) examples/cluster/run.sh

## Chat fan-out benchmark against a fresh release server, on SQLite and then
## on Postgres; the server (and Postgres) on CPU 0, the load on CPU 1.
bench-chat: build-release
	taskset -c 1 ./target/release/chat-load --backend both --server-cpus 0

## The several-nodes figures (benches/README.md): the drag workload on one
## node, then on three nodes through HAProxy (five paired runs: half of each
## room's clients on the owner, half relayed, at once), chat acks on
## Postgres, and 10 failovers; servers on CPU 0, the
## load generator on CPU 1. Installs Postgres and HAProxy when missing.
bench-cluster: build-release
	taskset -c 1 ./target/release/cluster-bench --server-cpus 0

## Board document size, memory and teacher-join figures (prints figures).
bench-boards: build-release
	./target/release/board-figures

## Drag-event throughput (benches/README.md): Jigsync, Socket.IO 4.8 (as is
## and coalescing), Hocuspocus, the y-websocket server and the bare relay in
## turn on the same workload (30 x 30 x 30 Hz), each then raised to the
## largest load that holds (p99 <= 100 ms, focused delivery >= 99%; at most
## 6 steps of 5 s), then 10,000 idle connections; the server on CPU 0, the
## load generator on the others. Prints the ratios; writes the JSON and a
## plot to target/dragbench/. Loopback only; a quarter of an hour. Needs
## Node.js (the peers' npm packages are installed on first use).
bench-drag: build-release
	./target/release/dragbench --compare

## The teacher's dashboard in headless Chromium while 10, then 30 students
## (client-js bots) drag at 30 Hz: frame rate, frame-time percentiles, long
## tasks and main-thread load, for the thumbnail grid and a focused board.
bench-dashboard: build-release web client-js/node_modules/.package-lock.json
	$(CLASSROOM)/scripts/ensure-chromium.sh
	JIGSYNC_BIN=$(CURDIR)/target/release/jigsync node $(CLASSROOM)/bench/dashboard-load.mjs

## A few seconds of every drag target (Jigsync, Socket.IO as is and
## coalescing, Hocuspocus, y-websocket, the bare relay) at a tiny load, so
## the benchmark never rots: each must deliver positions and acknowledge
## drops; no timing is checked. Under a minute. Uses the debug build the
## tests already made, so CI compiles no second profile for it.
bench-smoke:
	$(CARGO) build -p jigsync-server --bin jigsync -p jigsync-bench --bin dragbench --bin bare-relay
	./target/debug/dragbench --compare --check --rooms 1 --students 3 --drop-every 1 --warmup 0.5 \
		--duration 1.5 --max-from 1 --max-steps 1 --max-duration 1 --idle-connections 50 --json \
		--out target/dragbench/smoke.json > /dev/null
	$(CARGO) build -p jigsync-bench --bin drop-load
	./target/debug/drop-load --check --rooms 1 --students 3 --rate 6 --duration 1.5 > /dev/null
	$(CARGO) build -p jigsync-bench --bin soak
	./target/debug/soak $(SOAK_SMOKE) > /dev/null
	@# The check must catch a loss: one chat left out on purpose fails the run (exit 1).
	status=0; ./target/debug/soak $(SOAK_SMOKE) --lose-one-chat --json > target/soak-fault.json || status=$$?; \
		test $$status -eq 1 && grep -q '"lost": 1,' target/soak-fault.json

## The soak at a tiny size: 2 rooms of 5, chats every second, one round
## of cuts with resume, 5 s (benches/README.md, "Soak").
SOAK_SMOKE := --rooms 2 --students 5 --duration 5 --chat-every 1 --drop-every 1 --reconnect-every 5 \
	--row-every 1 --grace 2

## `dragbench --addr https://…` against a real server behind a TLS proxy
## (benches/tests/external_server.rs), and lint, with the bench's `tls`
## feature, which the workspace build leaves off (benches/Cargo.toml).
bench-tls:
	$(CARGO) build -p jigsync-server --bin jigsync
	$(CARGO) clippy -p jigsync-bench --features tls --all-targets -- -D warnings
	$(CARGO) test -p jigsync-bench --features tls --test external_server

FUZZ_TARGETS := room_frame yjs_bytes board_write picture_gif
## How long each fuzz target runs: libFuzzer's own options, e.g.
## `make fuzz FUZZ_LIMIT=-runs=10000000` or `FUZZ_LIMIT=-max_total_time=3600`.
FUZZ_LIMIT ?= -max_total_time=30

## cargo-fuzz from crates.io, when missing.
fuzz-tools:
	@$(CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked

## The coverage-guided fuzz targets (libFuzzer through cargo fuzz, on the
## stable toolchain with RUSTC_BOOTSTRAP, no sanitizer, debug assertions on),
## one after another for FUZZ_LIMIT each, starting from the checked-in seeds
## in sync-server/fuzz/seeds. A crash fails the run and leaves the input in
## sync-server/fuzz/artifacts/<target>/; copy it to
## sync-server/fuzz/regressions/<target>/ and `tests/fuzz_regressions.rs`
## runs it from then on.
fuzz: fuzz-tools
	@for target in $(FUZZ_TARGETS); do \
		mkdir -p sync-server/fuzz/corpus/$$target && \
		RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run --fuzz-dir sync-server/fuzz -s none -a $$target \
			sync-server/fuzz/corpus/$$target sync-server/fuzz/seeds/$$target \
			-- $(FUZZ_LIMIT) -print_final_stats=1 || exit 1; \
	done

## The soak (benches/README.md, "Soak"): 10,000 students in 200 rooms for
## ten minutes, a tenth dragging at 30 Hz, a chat per student per minute,
## 1% of the connections cut and resumed every minute; the server on CPU 0,
## the generator on CPU 1. Fails unless the server's RSS stays flat after
## the first minute, nothing errs and every acknowledged chat reaches every
## other member once. Needs ~10,300 open files per process: the limit is
## raised as far as this shell may. SOAK_ARGS for a smaller run.
SOAK_ARGS ?=
bench-soak: build-release
	ulimit -n 65536 2>/dev/null || ulimit -n $$(ulimit -Hn); \
		./target/release/soak --server-cpus 0 --client-cpus 1 $(SOAK_ARGS)

## Server CPU per stored drop (benches/README.md, "Drops"): 10 rooms of 10
## students dropping 100 pieces a second in all for 20 s, on SQLite and then
## on a throwaway durable Postgres, the server pinned to CPU 0 and the
## generator to the others; the same connections idle for 20 s first, and
## that baseline subtracted. About two minutes.
bench-drops: build-release
	./target/release/drop-load --backend both
