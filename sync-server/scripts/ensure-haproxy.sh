#!/usr/bin/env bash
# Makes sure HAProxy is installed, for the load balancer in front of a local
# cluster (`make cluster`, examples/cluster/run.sh) and the cluster tests,
# which start their own haproxy with examples/cluster/haproxy.cfg.
#
# Installs Debian's haproxy package only when no haproxy is found, neither on
# PATH nor in /usr/sbin or /usr/local/sbin (Debian puts it in /usr/sbin, which
# is not on a normal user's PATH), through install-debian-package.sh, which
# holds the package's service off while it installs. The package enables a
# haproxy service with /etc/haproxy/haproxy.cfg; we never use it, so it is
# stopped if it started anyway. It stays as Debian made it, stopped (on a
# machine that boots with systemd, haproxy.service starts at the next boot;
# Debian's stock configuration listens on no port, so it neither uses nor
# minds ours). Idempotent, and silent when haproxy is there.
set -euo pipefail

HAVE_HAPROXY='command -v haproxy || [ -x /usr/sbin/haproxy ] || [ -x /usr/local/sbin/haproxy ]'
if bash -c "$HAVE_HAPROXY" >/dev/null 2>&1; then
  exit 0
fi
say() { echo "ensure-haproxy: $*" >&2; }
"$(dirname "$0")/install-debian-package.sh" haproxy "$HAVE_HAPROXY"

"$(dirname "$0")/stop-package-service.sh" haproxy

if ! bash -c "$HAVE_HAPROXY" >/dev/null 2>&1; then
  say "installed haproxy but still found no haproxy program; install it yourself (apt-get install haproxy)"
  exit 1
fi
