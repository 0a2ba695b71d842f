#!/usr/bin/env bash
# Makes sure a redis-server binary is here for the embedded set-up (npm start, npm test).
# Nothing to install when REDIS_URL points elsewhere or redis-server is installed.
# Installs it with apt-get (as root, or through sudo) on Debian/Ubuntu, or brew on macOS;
# otherwise stops with one line saying what to run.
# Either way, when a Redis already answers on 127.0.0.1:6379 (which `npm start` would use, e.g.
# the service a package install starts), it says so if that Redis evicts by another policy than
# the app's (README, "Reliability: memory pressure"): it changes no server's configuration itself.
set -euo pipefail

say() { echo "setup-redis: $*" >&2; }

# The app's eviction policy: the same as server/redis/local-server.ts (EVICTION_POLICY_ARGS) and docker-compose.yml.
EVICTION_POLICY=volatile-ttl

check_policy() {
  [ -z "${REDIS_URL:-}" ] && command -v redis-cli >/dev/null 2>&1 || return 0
  local policy
  policy=$(redis-cli -h 127.0.0.1 -p 6379 config get maxmemory-policy 2>/dev/null | sed -n 2p) || return 0
  if [ -n "$policy" ] && [ "$policy" != "$EVICTION_POLICY" ]; then
    say "the Redis on 127.0.0.1:6379 evicts with '$policy'; this app expects '$EVICTION_POLICY' (sessions outlive cache entries):"
    say "  redis-cli config set maxmemory-policy $EVICTION_POLICY && redis-cli config set maxmemory-samples 10  (and in redis.conf)"
  fi
}

if [ -n "${REDIS_URL:-}" ] || command -v redis-server >/dev/null 2>&1; then
  check_policy
  exit 0
fi

if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    sudo=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
  else
    say "redis-server is missing: run 'sudo apt-get update && sudo apt-get install -y redis-server', or set REDIS_URL"
    exit 1
  fi
  say "installing redis-server with apt-get"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server >/dev/null
elif command -v brew >/dev/null 2>&1; then
  say "installing redis with brew"
  brew install redis >/dev/null
else
  say "redis-server is missing: install Redis 7 (https://redis.io/docs/install/), set REDIS_URL, or run 'docker compose up'"
  exit 1
fi

command -v redis-server >/dev/null 2>&1 || { say "redis-server is still missing after the install"; exit 1; }
say "$(redis-server --version | cut -d' ' -f1-3)"
check_policy
