#!/usr/bin/env bash
# Makes sure a redis-server binary is here for the embedded set-up (npm start, npm test).
# Nothing to do when REDIS_URL points elsewhere or redis-server is installed.
# Installs it with apt-get (as root, or through sudo) on Debian/Ubuntu, or brew on macOS;
# otherwise stops with one line saying what to run.
set -euo pipefail

if [ -n "${REDIS_URL:-}" ] || command -v redis-server >/dev/null 2>&1; then
  exit 0
fi

say() { echo "setup-redis: $*" >&2; }

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
