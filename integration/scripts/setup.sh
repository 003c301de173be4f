#!/usr/bin/env bash
# Installs the Debian packages the integration harness needs (idempotent).
#
#   mmdebstrap   builds the Debian bookworm and trixie build/run base images at test time
#   util-linux   unshare (mount + pid namespaces) for running creator and the app image
#   coreutils    chroot
#   ca-certificates, debian-archive-keyring  let mmdebstrap and apt-get verify and fetch packages
#                (bookworm's keyring holds trixie's keys too: the trixie stack and fixtures)
#   patchelf     integration/fixtures: relative rpaths in the relocatable CPython
#   npm          integration/fixtures: npm pack of the static ffmpeg builds (only when no npm
#                is on PATH, e.g. from a nodejs package that bundles it)
#   qemu-user-static  qemu-aarch64-static (and qemu-x86_64-static) run the other architecture's
#                executables (arm64 ffmpeg, the arm64 buildpacks' bin/detect and bin/build, and
#                the arm64 CPython with -L <arm64 root>), called explicitly: nothing is
#                registered with binfmt_misc
#
# integration/fixtures also runs `apt-get download`, which needs current package lists: they
# are refreshed when older than a day (a superseded security update would give a 404). For
# trixie and for arm64 it reads fresh lists into a private apt state of its own each time, and
# changes nothing of the host's apt or dpkg configuration.
#
# Runs as root. apt-get update runs only when something is missing or the lists are stale.
set -euo pipefail

need=()
pkgs=(mmdebstrap util-linux coreutils ca-certificates debian-archive-keyring patchelf qemu-user-static)
if ! command -v npm >/dev/null 2>&1; then
	pkgs+=(npm)
fi
fresh=$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n 1)
for pkg in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		need+=("$pkg")
	fi
done

if [ "${#need[@]}" -eq 0 ] && [ -n "$fresh" ]; then
	echo "integration/scripts/setup.sh: all packages present"
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update
if [ "${#need[@]}" -eq 0 ]; then
	exit 0
fi
apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${need[@]}"
