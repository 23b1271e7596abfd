#!/usr/bin/env bash
# Makes sure PostgreSQL's server programs (initdb, postgres, pg_ctl) are
# installed, for the throwaway servers the storage tests start themselves
# (sync-server/tests/common/postgres.rs).
#
# Installs Debian's postgresql package only when no initdb is found, neither
# /usr/lib/postgresql/*/bin/initdb nor an initdb on PATH. The package creates
# a cluster "main" for port 5432 and would start it; the tests never use it,
# so services are held off while the package installs (a policy-rc.d that
# refuses, when the machine has none) and any cluster that started anyway is
# stopped. The cluster stays as Debian made it, stopped (on a machine that
# boots with systemd, Debian's postgresql.service starts it at the next boot;
# the tests neither use nor mind it, their servers take free ports).
# Idempotent, and silent when the programs are there.
set -euo pipefail

have_initdb() {
  local initdb
  for initdb in /usr/lib/postgresql/*/bin/initdb; do
    if [ -x "$initdb" ]; then
      return 0
    fi
  done
  command -v initdb >/dev/null 2>&1
}

if have_initdb; then
  exit 0
fi

say() { echo "ensure-postgres: $*" >&2; }
give_up() {
  say "$1; install PostgreSQL's server yourself (Debian: apt-get install postgresql)"
  exit 1
}

if ! command -v apt-get >/dev/null 2>&1; then
  give_up "no initdb found and apt-get not found"
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    give_up "no initdb found, not root and no sudo"
  fi
fi

# Test binaries started together may all get here: one installs, the others
# wait for it and then find initdb.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/jigsync-ensure-postgres.$(id -u).lock"
  flock 9
  if have_initdb; then
    exit 0
  fi
fi

# invoke-rc.d (and deb-systemd-invoke) ask policy-rc.d before starting a
# service; 101 means "not allowed". Only ours is removed afterwards.
POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# jigsync ensure-postgres.sh: no services start during the install\nexit 101\n' |
    "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  remove_policy() { "${SUDO[@]}" rm -f "$POLICY"; }
  trap remove_policy EXIT
fi

say "no initdb found; installing Debian's postgresql package (its cluster is not started)"
"${SUDO[@]}" apt-get update -qq >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 postgresql >&2

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

if ! have_initdb; then
  give_up "installed postgresql but still found no initdb"
fi
say "installed $(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n 1)"
