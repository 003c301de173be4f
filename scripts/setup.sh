#!/usr/bin/env bash
# Installs what the tests need on a fresh machine (Debian, as root). Idempotent: packages
# already present are not installed again, and apt's lists are refreshed only when needed.
set -euo pipefail

packages=(
  mmdebstrap      # Debian base images for the integration stack
  patchelf        # relocatable CPython fixture
  uidmap          # unshare helpers
  docker.io containerd runc iptables   # the pack walkthrough's daemon
  docker-registry # the registry server people run, for publish tests
  bzip2 xz-utils tar  # archive formats the extraction tests compare with
  apache2-utils   # htpasswd, for the registry credential tests
  util-linux      # unshare, setpriv
  python3-django  # the real Django the Python buildpack's unit tests repack as wheels
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's docker-registry starts a service on install; the tests run their own servers.
if command -v systemctl >/dev/null 2>&1; then systemctl stop docker-registry docker containerd 2>/dev/null || true; fi
for extra in integration/scripts/setup.sh; do
  [ -x "$extra" ] && "$extra"
done
exit 0
