#!/usr/bin/env bash
# The outside programs the tests start or drive, installed from Debian's packages when one is missing
# (`npm test` runs this first; so does .ci/run, through `npm test`). One line a program: the package,
# then the executables that must be on the machine. Add the next one here (prometheus-alertmanager,
# victoria-metrics) and nowhere else.
set -euo pipefail

PROGRAMS=(
  "chromium   /usr/bin/chromium"             # browser tests: playwright-core drives Debian's chromium
  "prometheus /usr/bin/prometheus promtool"  # promtool check metrics; a real Prometheus scrapes two servers
  "prometheus-alertmanager /usr/bin/prometheus-alertmanager amtool"  # a real Alertmanager receives the alerts; amtool check-config
  "snmpd      /usr/sbin/snmpd"               # the machine's real SNMP agent: IF-MIB counters and SNMPv3 polled live
  "victoria-metrics /usr/bin/victoria-metrics"  # a real VictoriaMetrics takes remote write (and the bench's remote-write section)
)

need=()
for line in "${PROGRAMS[@]}"; do
  read -r pkg bins <<<"$line"
  for b in $bins; do
    if ! command -v "$b" >/dev/null 2>&1; then
      need+=("$pkg")
      break
    fi
  done
done
[ ${#need[@]} -eq 0 ] && exit 0

echo "test-deps: installing Debian packages the tests need: ${need[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "test-deps: missing ${need[*]}, and this user cannot run apt-get: run as root: apt-get update && apt-get install -y --no-install-recommends ${need[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deps: missing ${need[*]} and no apt-get here (the tests expect a Debian machine): install them by hand" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
