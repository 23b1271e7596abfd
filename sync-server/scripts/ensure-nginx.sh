#!/usr/bin/env bash
# Makes sure nginx (and openssl, for the test's self-signed certificate) are
# installed, for the deployment test (client-js/test/deploy-nginx.test.mjs),
# which starts its own nginx with docs/deploy/nginx-jigsync.conf.
#
# Installs Debian's nginx package only when no nginx is found, neither on
# PATH nor in /usr/sbin, through install-debian-package.sh, which holds the
# package's service off while it installs. The package's own service (the
# default site on port 80) is never used, so it is stopped if it started
# anyway. Idempotent, and silent when both are there.
set -euo pipefail

HAVE_NGINX='command -v nginx || [ -x /usr/sbin/nginx ]'
HAVE_OPENSSL='command -v openssl'
here=$(dirname "$0")
say() { echo "ensure-nginx: $*" >&2; }

if ! bash -c "$HAVE_OPENSSL" >/dev/null 2>&1; then
  "$here/install-debian-package.sh" openssl "$HAVE_OPENSSL"
fi
if bash -c "$HAVE_NGINX" >/dev/null 2>&1; then
  exit 0
fi
"$here/install-debian-package.sh" nginx "$HAVE_NGINX"

"$(dirname "$0")/stop-package-service.sh" nginx

if ! bash -c "$HAVE_NGINX" >/dev/null 2>&1; then
  say "installed nginx but still found no nginx program; install it yourself (apt-get install nginx)"
  exit 1
fi
