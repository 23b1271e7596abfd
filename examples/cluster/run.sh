#!/usr/bin/env bash
# A whole Jigsync cluster on this machine, for trying it out (`make cluster`):
# one throwaway Postgres, three `jigsync` nodes on it and HAProxy in front
# (examples/cluster/haproxy.cfg, unchanged). Everything lives in one temp dir;
# Ctrl-C (or TERM) stops all of it and deletes the dir.
#
# Environment:
#   JIGSYNC_BIN           the server binary (default:
#                         ${CARGO_TARGET_DIR:-target}/release/jigsync)
#   JIGSYNC_LB_ADDR       where HAProxy listens (default 127.0.0.1:8080)
#   JIGSYNC_WEB_DIR       the classroom web app (default
#                         examples/classroom/dist, built by `make web`)
#   JIGSYNC_LB_LOG_LEVEL  HAProxy's log level (default emerg: it already prints
#                         nodes going down and up; "info" logs every request)
#   JIGSYNC_LOG           the nodes' log filter (default info)
#   JIGSYNC_NODE_FLAGS    more flags for every node, split on spaces (e.g.
#                         "--chat-rate 100 --room-idle-secs 600")
#
# Installs PostgreSQL's server and HAProxy from Debian's packages when missing
# (sync-server/scripts/ensure-*.sh). Runs as a normal user or as root; as
# root, Postgres (which refuses root) runs as the `postgres` user.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Paths from the environment are relative to where we were started.
absolute() {
  case "$1" in
    /*) echo "$1" ;;
    *) echo "$PWD/$1" ;;
  esac
}
BIN=$(absolute "${JIGSYNC_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/jigsync}")
WEB_DIR=$(absolute "${JIGSYNC_WEB_DIR:-$ROOT/examples/classroom/dist}")
LB_ADDR=${JIGSYNC_LB_ADDR:-127.0.0.1:8080}
cd "$ROOT"
CONFIG=examples/cluster/haproxy.cfg
NODES=3
PG_USER=postgres
START_TIMEOUT=60

say() { echo "cluster: $*" >&2; }
die() {
  say "$*"
  exit 1
}

# --- checks before starting anything -----------------------------------------

[ -x "$BIN" ] || die "no server binary at $BIN (build it: make build-release, or set JIGSYNC_BIN)"
[ -f "$WEB_DIR/index.html" ] || die "no web app in $WEB_DIR (build it: make web)"

sync-server/scripts/ensure-postgres.sh
sync-server/scripts/ensure-haproxy.sh

# Debian's newest /usr/lib/postgresql/<major>/bin, else where the initdb on
# PATH really lives (next to postgres, pg_ctl and createdb).
pg_bin_dir() {
  local dir best=""
  # /usr/lib/postgresql/<major>/bin: the 5th "/"-separated field is the major.
  for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5n); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/createdb" ]; then
      best=$dir
    fi
  done
  if [ -z "$best" ] && command -v initdb >/dev/null 2>&1; then
    best=$(dirname "$(readlink -f "$(command -v initdb)")")
  fi
  [ -n "$best" ] || die "no PostgreSQL server programs found (initdb, pg_ctl, createdb)"
  echo "$best"
}
PG_BIN=$(pg_bin_dir)

HAPROXY=$(command -v haproxy || true)
for candidate in /usr/sbin/haproxy /usr/local/sbin/haproxy; do
  if [ -z "$HAPROXY" ] && [ -x "$candidate" ]; then
    HAPROXY=$candidate
  fi
done
[ -n "$HAPROXY" ] || die "no haproxy found"

AS_PG=()
if [ "$(id -u)" -eq 0 ]; then
  command -v runuser >/dev/null 2>&1 || die "as root, Postgres runs as $PG_USER through runuser, which is missing"
  id "$PG_USER" >/dev/null 2>&1 || die "as root, Postgres runs as the $PG_USER user, which does not exist"
  AS_PG=(runuser -u "$PG_USER" --)
fi

# --- helpers -------------------------------------------------------------------

# N distinct ports nothing listens on right now (bound together, so distinct).
# Another process may take one before we do; Postgres is retried, and a node
# or HAProxy that cannot bind says so and the script stops.
free_ports() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
' "$1"
    return
  fi
  local ports=() port
  while [ "${#ports[@]}" -lt "$1" ]; do
    port=$((20000 + RANDOM % 40000))
    case " ${ports[*]} " in *" $port "*) continue ;; esac
    # A connection that fails means nothing listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      ports+=("$port")
    fi
  done
  echo "${ports[*]}"
}

# True when GET http://$1$2 answers 200.
http_ok() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -o /dev/null --max-time 2 "http://$1$2" 2>/dev/null
  else
    (
      exec 3<>"/dev/tcp/${1%:*}/${1##*:}" || exit 1
      printf 'GET %s HTTP/1.0\r\nHost: %s\r\n\r\n' "$2" "$1" >&3
      IFS= read -r -t 2 status <&3 || exit 1
      case "$status" in "HTTP/1."?" 200"*) exit 0 ;; *) exit 1 ;; esac
    ) 2>/dev/null
  fi
}

# A Postgres program, as the postgres user when root, from a dir it can enter.
pg() {
  (cd "$PG_DIR" && "${AS_PG[@]}" "$PG_BIN/$1" "${@:2}")
}

# Prefixes a process's output lines with its name, on our stderr. Deaf to
# Ctrl-C and TERM (sent to the whole process group): it ends when its process
# closes the pipe, so the process's last words are not cut off mid-shutdown.
prefixed() {
  trap '' INT TERM
  exec sed -u "s/^/[$1] /" >&2
}

# --- cleanup, whatever happens from here on ----------------------------------------

TMP=""
PG_DIR=""
PG_DATA=""
HAPROXY_PID=""
NODE_PIDS=()

# shellcheck disable=SC2317 # (reached through the trap)
cleanup() {
  local status=$?
  # Once: a second Ctrl-C must not cut the cleanup short.
  trap - EXIT
  trap '' INT TERM
  set +e
  say "stopping"
  local pids=()
  [ -n "$HAPROXY_PID" ] && pids+=("$HAPROXY_PID")
  pids+=("${NODE_PIDS[@]}")
  if [ "${#pids[@]}" -gt 0 ]; then
    kill -TERM "${pids[@]}" 2>/dev/null
    # They get 5 s to go, then no choice. (bash reaps its children as they
    # exit, so kill -0 fails once one is gone.)
    local pid tries=50
    while [ "$tries" -gt 0 ]; do
      for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null && break
        pid=""
      done
      [ -z "$pid" ] && break
      tries=$((tries - 1))
      sleep 0.1
    done
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    done
  fi
  if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
    if ! pg pg_ctl stop -D "$PG_DATA" -m fast -w -t 30 >/dev/null 2>&1; then
      # SIGQUIT is Postgres's immediate shutdown, children included.
      kill -QUIT "$(head -n 1 "$PG_DATA/postmaster.pid")" 2>/dev/null
    fi
  fi
  [ -n "$TMP" ] && rm -rf "$TMP"
  say "stopped"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

umask 077
TMP=$(mktemp -d "${TMPDIR:-/tmp}/jigsync-cluster.XXXXXX")

# --- Postgres ---------------------------------------------------------------------

PG_DIR=$TMP/postgres
PG_DATA=$PG_DIR/data
mkdir "$PG_DIR"
if [ "${#AS_PG[@]}" -gt 0 ]; then
  chmod 711 "$TMP" # the postgres user passes through to its own dir
  chown "$PG_USER:" "$PG_DIR"
fi
say "starting Postgres (initdb in $PG_DIR)"
pg initdb --pgdata "$PG_DATA" --username "$PG_USER" --auth trust --encoding UTF8 --locale C --no-sync \
  >"$PG_DIR/initdb.log" 2>&1 || {
  cat "$PG_DIR/initdb.log" >&2
  die "initdb failed"
}

PG_PORT=""
for attempt in 1 2 3 4 5; do
  port=$(free_ports 1)
  # Later lines win over the defaults above them.
  {
    echo "port = $port"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$PG_DIR'"
  } >>"$PG_DATA/postgresql.conf"
  if pg pg_ctl start -D "$PG_DATA" -l "$PG_DIR/postgres.log" -w -t "$START_TIMEOUT" >/dev/null 2>&1; then
    PG_PORT=$port
    break
  fi
  if ! grep -q "already in use" "$PG_DIR/postgres.log" 2>/dev/null || [ "$attempt" -eq 5 ]; then
    cat "$PG_DIR/postgres.log" >&2 || true
    die "Postgres did not start"
  fi
done
pg createdb --host 127.0.0.1 --port "$PG_PORT" --username "$PG_USER" jigsync
DATABASE_URL="postgres://$PG_USER@127.0.0.1:$PG_PORT/jigsync"
PG_PID=$(head -n 1 "$PG_DATA/postmaster.pid")

# --- the shared signing key ---------------------------------------------------------

KEY_FILE=$TMP/signing.key
if command -v openssl >/dev/null 2>&1; then
  openssl rand -hex 32 >"$KEY_FILE"
else
  od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$KEY_FILE"
  echo >>"$KEY_FILE"
fi

# --- the nodes ---------------------------------------------------------------------------

read -r -a NODE_PORTS <<<"$(free_ports "$NODES")"
[ "${#NODE_PORTS[@]}" -eq "$NODES" ] || die "could not find $NODES free ports"
export JIGSYNC_LOG=${JIGSYNC_LOG:-info}
for i in $(seq "$NODES"); do
  port=${NODE_PORTS[$((i - 1))]}
  mkdir "$TMP/node$i"
  # The node's pid is $! (its output goes through a process substitution).
  "$BIN" \
    --addr "127.0.0.1:$port" \
    --database-url "$DATABASE_URL" \
    --node-id "n$i" \
    --advertise-url "http://127.0.0.1:$port" \
    --signing-key-file "$KEY_FILE" \
    --data-dir "$TMP/node$i" \
    --web-dir "$WEB_DIR" \
    --trusted-proxy 127.0.0.1/32 \
    ${JIGSYNC_NODE_FLAGS:-} \
    </dev/null > >(prefixed "n$i") 2>&1 &
  NODE_PIDS+=("$!")
  export "JIGSYNC_NODE$i=127.0.0.1:$port"
done

wait_healthy() { # name pid addr path
  local deadline=$((SECONDS + START_TIMEOUT))
  until http_ok "$3" "$4"; do
    kill -0 "$2" 2>/dev/null || die "$1 exited during startup (its output is above)"
    [ "$SECONDS" -lt "$deadline" ] || die "$1 did not answer http://$3$4 within ${START_TIMEOUT}s"
    sleep 0.1
  done
}
for i in $(seq "$NODES"); do
  wait_healthy "node n$i" "${NODE_PIDS[$((i - 1))]}" "127.0.0.1:${NODE_PORTS[$((i - 1))]}" /healthz
done

# --- HAProxy -----------------------------------------------------------------------------

export JIGSYNC_LB_ADDR=$LB_ADDR
export JIGSYNC_LB_LOG_LEVEL=${JIGSYNC_LB_LOG_LEVEL:-emerg}
"$HAPROXY" -c -f "$CONFIG" >/dev/null || die "haproxy rejects $CONFIG"
# -db: stays in the foreground (our child), logs on stderr.
"$HAPROXY" -db -f "$CONFIG" </dev/null > >(prefixed lb) 2>&1 &
HAPROXY_PID=$!
# The address a browser on this machine uses.
case "$LB_ADDR" in
  0.0.0.0:*) LB_URL_ADDR=127.0.0.1:${LB_ADDR##*:} ;;
  \[::\]:* | :*) LB_URL_ADDR=localhost:${LB_ADDR##*:} ;;
  *) LB_URL_ADDR=$LB_ADDR ;;
esac
wait_healthy "haproxy" "$HAPROXY_PID" "$LB_URL_ADDR" /healthz

# --- ready -----------------------------------------------------------------------------------

{
  echo
  echo "Jigsync cluster is up: $NODES nodes on one Postgres, HAProxy in front."
  echo
  echo "  Teacher, open:  http://$LB_URL_ADDR/"
  echo "  LB stats:       http://$LB_URL_ADDR/lb/stats"
  echo
  for i in $(seq "$NODES"); do
    printf '  node n%s:  http://127.0.0.1:%s  pid %s\n' "$i" "${NODE_PORTS[$((i - 1))]}" "${NODE_PIDS[$((i - 1))]}"
  done
  printf '  haproxy:  pid %s\n' "$HAPROXY_PID"
  printf '  postgres: %s  pid %s\n' "$DATABASE_URL" "$PG_PID"
  echo "  temp dir: $TMP"
  echo
  echo "  Watch a failover: kill -9 ${NODE_PIDS[0]}   (node n1). HAProxy takes it out within"
  echo "  about a second; its rooms move to another node once their leases run"
  echo "  out (6 s), and the browsers reconnect and carry on."
  echo
  echo "  Ctrl-C stops everything and deletes the temp dir."
  echo
}

# Until HAProxy exits or we are told to stop (a killed node is part of the
# demo, so nodes may die).
status=0
wait "$HAPROXY_PID" || status=$?
HAPROXY_PID=""
say "haproxy exited (status $status)"
exit 1
