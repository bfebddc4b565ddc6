#!/usr/bin/env bash
# Installs a real Prometheus and Alertmanager (Debian packages) for the observability integration tests
# (packages/server/test/observability/prometheus.test.ts, test/alerts/alertmanager-real.test.ts). Idempotent: does
# nothing when both binaries are already on PATH. The packages' services are not started (tests run their own
# instances on loopback with temporary configuration).
set -euo pipefail

if command -v prometheus >/dev/null 2>&1 && command -v prometheus-alertmanager >/dev/null 2>&1; then
  echo "prometheus and prometheus-alertmanager already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# keep the packages' systemd units / init scripts from starting services inside containers
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends prometheus prometheus-alertmanager
prometheus --version | head -1
prometheus-alertmanager --version 2>&1 | head -1
