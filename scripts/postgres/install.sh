#!/usr/bin/env bash
# Installs the PostgreSQL server binaries (Debian's `postgresql` package) for the tests of the PostgreSQL store
# (packages/server/test/repository.test.ts, test/store/pg.test.ts and the replica tests). The tests start their own
# throwaway clusters with initdb/pg_ctl (@sre/testkit `startPostgres`), so the package's default cluster is not
# created and no service is started. Idempotent: does nothing when /usr/lib/postgresql/<version>/bin/initdb exists.
# Needs root (or sudo) and Debian's package mirrors only.
set -euo pipefail

for initdb in /usr/lib/postgresql/*/bin/initdb; do
  if [ -x "$initdb" ]; then
    echo "PostgreSQL already installed: $("$initdb" --version)"
    exit 0
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

cleanup=()
trap 'for f in "${cleanup[@]}"; do $SUDO rm -f "$f"; done' EXIT

# keep the package's init scripts from starting a server (containers, CI)
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  cleanup+=(/usr/sbin/policy-rc.d)
fi

# no default cluster ("main"): the tests create their own in temporary directories (createcluster.conf, the
# package's own file, includes this directory)
$SUDO mkdir -p /etc/postgresql-common/createcluster.d
echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/sre-no-main-cluster.conf >/dev/null

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends postgresql

for initdb in /usr/lib/postgresql/*/bin/initdb; do
  if [ -x "$initdb" ]; then
    echo "PostgreSQL installed: $("$initdb" --version)"
    exit 0
  fi
done
echo "postgresql was installed but no /usr/lib/postgresql/<version>/bin/initdb was found" >&2
exit 1
