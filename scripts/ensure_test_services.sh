#!/usr/bin/env bash
# Make sure the services the tests talk to are here: PostgreSQL on 127.0.0.1:5432 and Chromium.
# Idempotent and quiet when everything is already in place.
set -euo pipefail

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "installing PostgreSQL ..."
  apt_install postgresql postgresql-client
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  echo "starting PostgreSQL ..."
  for version in $(ls /etc/postgresql); do
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432 || { echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }

if [ ! -x /usr/bin/chromium ]; then
  echo "installing Chromium for the dashboard tests ..."
  apt_install chromium chromium-driver fonts-dejavu-core
fi
echo "test services ready: PostgreSQL on 127.0.0.1:5432, $(/usr/bin/chromium --version 2>/dev/null || echo 'no chromium')"
