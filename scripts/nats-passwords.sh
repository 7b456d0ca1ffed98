#!/usr/bin/env bash
# Prints a random password for every NATS user of deploy/nats/auth.conf (and the dashboard login), as
# lines for the .env file docker compose reads:   bash scripts/nats-passwords.sh >> .env
# Without them compose falls back to the local-only defaults written in docker-compose.yml.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for var in $(grep -ho 'password: \$[A-Z0-9_]*' deploy/nats/auth.conf | sed 's/.*\$//' | sort -u) DASHBOARD_PASSWORD; do
  # A letter first: nats-server parses the value as a config token, and one starting with a digit or '-' fails.
  printf '%s=n%s\n' "$var" "$(node -e "process.stdout.write(require('crypto').randomBytes(24).toString('base64url'))")"
done
