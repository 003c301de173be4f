#!/usr/bin/env bash
# Installs the Debian packages the integration harness needs (idempotent).
#
#   mmdebstrap   builds the Debian bookworm build/run base images at test time
#   util-linux   unshare (mount + pid namespaces) for running creator and the app image
#   coreutils    chroot
#   ca-certificates, debian-archive-keyring  let mmdebstrap verify and fetch packages
#
# Runs as root. apt-get update runs only when something is missing.
set -euo pipefail

need=()
for pkg in mmdebstrap util-linux coreutils ca-certificates debian-archive-keyring; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		need+=("$pkg")
	fi
done

if [ "${#need[@]}" -eq 0 ]; then
	echo "integration/scripts/setup.sh: all packages present"
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${need[@]}"
