#!/usr/bin/env bash
# Installs Debian's Chromium (and the fonts the screenshots use) when it is missing: the SSE tests drive a
# real browser EventSource and the E2E suite drives code-server's UI with it. Idempotent (< 1 s when present).
# Playwright's own browser download is never used: only /usr/bin/chromium.
set -euo pipefail
missing=()
for pkg in chromium fonts-liberation; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "[ensure-chromium] apt-get install ${missing[*]}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
