#!/usr/bin/env bash
# Stops the service a Debian package started on installing, for the
# ensure-*.sh scripts: `stop-package-service.sh NAME`. The tests start their
# own processes with their own configuration and never use the package's
# service; install-debian-package.sh holds services off, but a policy-rc.d
# that allows starts may have let it start anyway. Stops it straight through
# systemctl or the init script (invoke-rc.d would ask the refusing
# policy-rc.d again). Needs root, or sudo.
set -euo pipefail

NAME=$1
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  SUDO=(sudo)
fi
say() { echo "stop-package-service: $*" >&2; }
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  if systemctl is-active --quiet "$NAME.service"; then
    say "stopping the $NAME service the package started"
    "${SUDO[@]}" systemctl stop "$NAME.service" || true
  fi
elif [ -x "/etc/init.d/$NAME" ]; then
  if "${SUDO[@]}" "/etc/init.d/$NAME" status >/dev/null 2>&1; then
    say "stopping the $NAME service the package started"
    "${SUDO[@]}" "/etc/init.d/$NAME" stop >&2 || true
  fi
fi
