#!/usr/bin/env bash
# Checks deploy/nats/nats.conf (and the auth.conf it includes) with `nats-server -t`. The real passwords
# are not needed for that: every NATS_<USER>_PASSWORD the config references gets a placeholder unless set.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin="${NATS_SERVER_BIN:-$(command -v nats-server || echo /usr/sbin/nats-server)}"
conf="${1:-deploy/nats/nats.conf}"
for var in $(grep -ho 'password: \$[A-Z0-9_]*' "$(dirname "$conf")"/*.conf | sed 's/.*\$//' | sort -u); do
  if [ -z "${!var:-}" ]; then export "$var=placeholder-for-config-check"; fi
done
"$bin" -t -c "$conf"
