#!/usr/bin/env bash
# Makes sure PostgreSQL's server programs (initdb, postgres, pg_ctl) are
# installed, for the throwaway servers the storage tests start themselves
# (testkit/src/postgres.rs) and the local cluster
# (examples/cluster/run.sh).
#
# Installs Debian's postgresql package only when no initdb is found, neither
# /usr/lib/postgresql/*/bin/initdb nor an initdb on PATH, through
# install-debian-package.sh, which holds services off while it installs. The
# package creates a cluster "main" for port 5432 and would start it; the tests
# never use it, so any cluster that started anyway is stopped. The cluster
# stays as Debian made it, stopped (on a machine that boots with systemd,
# Debian's postgresql.service starts it at the next boot; the tests neither
# use nor mind it, their servers take free ports). Idempotent, and silent
# when the programs are there.
set -euo pipefail

HAVE_INITDB='ls /usr/lib/postgresql/*/bin/initdb || command -v initdb'
if bash -c "$HAVE_INITDB" >/dev/null 2>&1; then
  exit 0
fi
say() { echo "ensure-postgres: $*" >&2; }
"$(dirname "$0")/install-debian-package.sh" postgresql "$HAVE_INITDB"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  SUDO=(sudo)
fi
# A policy-rc.d that allows starts may have let the cluster start: stop it.
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _port status _rest; do
    case "$status" in
      online*)
        say "stopping the cluster $version/$cluster the package started"
        "${SUDO[@]}" pg_ctlcluster "$version" "$cluster" stop || true
        ;;
    esac
  done || true
fi

if ! bash -c "$HAVE_INITDB" >/dev/null 2>&1; then
  say "installed postgresql but still found no initdb; install it yourself (apt-get install postgresql)"
  exit 1
fi
