#!/usr/bin/env bash
# Make sure the services the tests talk to are here: PostgreSQL on 127.0.0.1:5432, Redis on :6379,
# RabbitMQ on :5672 (the Celery brokers) and Chromium.
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

# Is something answering on a local TCP port?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # PORT NAME SECONDS
  for _ in $(seq 1 "$3"); do port_open "$1" && return 0; sleep 1; done
  echo "$2 did not come up on 127.0.0.1:$1" >&2
  exit 1
}

if ! port_open 6379; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "installing Redis ..."
    apt_install redis-server redis-tools
  fi
  echo "starting Redis ..."
  # In memory only: the tests purge what they create, nothing needs to survive a restart.
  redis-server --bind 127.0.0.1 --port 6379 --daemonize yes --save "" --appendonly no \
    --logfile /tmp/triagebot-redis.log >/dev/null
  wait_port 6379 Redis 30
fi

if ! port_open 5672; then
  if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "installing RabbitMQ ..."
    apt_install rabbitmq-server
  fi
  echo "starting RabbitMQ ..."
  # Detached from this shell; the guest user may connect from 127.0.0.1 (RabbitMQ's default).
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 nohup $SUDO rabbitmq-server >/tmp/triagebot-rabbitmq.log 2>&1 &
  wait_port 5672 RabbitMQ 90
fi

if [ ! -x /usr/bin/chromium ]; then
  echo "installing Chromium for the dashboard tests ..."
  apt_install chromium chromium-driver fonts-dejavu-core
fi
echo "test services ready: PostgreSQL on 127.0.0.1:5432, Redis on :6379, RabbitMQ on :5672, $(/usr/bin/chromium --version 2>/dev/null || echo 'no chromium')"
