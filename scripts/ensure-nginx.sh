#!/usr/bin/env bash
# Installs Debian's nginx when it is missing: the two-instance tests and the soak put it in front of two app
# processes as the load balancer (round robin on loopback, config generated per run). Only the binary is used: the
# package's own service is never started by the tests (they run nginx as a child process with their own config).
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || [ -n "${NGINX_PATH:-}" ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1; then
  echo "nginx is missing: install Debian's 'nginx' package (or set NGINX_PATH)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
echo "Installing Debian's nginx (one time)…" >&2
$SUDO apt-get update -qq >&2
# policy-rc.d 101: the package must not start its own service on port 80 (containers, CI, developer machines).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx >&2
