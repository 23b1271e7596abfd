#!/usr/bin/env bash
# Installs one of Debian's packages for the ensure-*.sh scripts, without
# letting the package start its service: `install-debian-package.sh PACKAGE
# CHECK`, where CHECK is a shell command that succeeds once what the caller
# needs is there.
#
# Callers started together (test binaries, a launcher) take turns on a lock:
# one installs, the others find CHECK true afterwards and do nothing. While
# the package installs, a policy-rc.d that refuses every start is put in
# place when the machine has none (invoke-rc.d and deb-systemd-invoke ask it
# first; 101 means "not allowed"), and only ours is removed afterwards.
# Stopping a service that started anyway is left to the caller, which knows
# the package. Needs root, or sudo.
set -euo pipefail

PACKAGE=$1
CHECK=$2
say() { echo "install-debian-package: $*" >&2; }
give_up() {
  say "$1; install it yourself (Debian: apt-get install $PACKAGE)"
  exit 1
}

if ! command -v apt-get >/dev/null 2>&1; then
  give_up "$PACKAGE is missing and apt-get not found"
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    give_up "$PACKAGE is missing, not root and no sudo"
  fi
fi

if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/jigsync-install-$PACKAGE.$(id -u).lock"
  flock 9
  if bash -c "$CHECK" >/dev/null 2>&1; then
    exit 0
  fi
fi

POLICY=/usr/sbin/policy-rc.d
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# jigsync install-debian-package.sh: no services start during the install\nexit 101\n' |
    "${SUDO[@]}" tee "$POLICY" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY"
  remove_policy() { "${SUDO[@]}" rm -f "$POLICY"; }
  trap remove_policy EXIT
fi

say "installing Debian's $PACKAGE package (its service is not started)"
"${SUDO[@]}" apt-get update -qq >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "$PACKAGE" >&2
