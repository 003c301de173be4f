#!/usr/bin/env bash
# Measures what signing adds to `cnbkit package --publish`: the reference composite
# buildpacks/python-ffmpeg (two targets: an image index and two images) is published to
# Debian's docker-registry on 127.0.0.1 without and with --sign-key (one signature and two
# attestations for each of the three manifests), alternating, each into a new repository so
# that every run uploads everything. Prints each run and the medians.
#
#   scripts/bench-sign.sh [runs]        (default 7)
#
# A first unsigned run warms Go's build cache (the buildpacks are compiled in every run, from
# that cache). Needs: go, docker-registry (scripts/setup.sh installs it).
set -euo pipefail

runs=${1:-7}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
registry_pid=
cleanup() {
	if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "building cnbkit" >&2
(cd "$root" && go build -trimpath -o "$work/cnbkit" ./cmd/cnbkit)

# A free port: one nothing answers on.
while :; do
	port=$((20000 + RANDOM % 40000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
done
cat >"$work/registry.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 100); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
	sleep 0.1
done
host=127.0.0.1:$port

export COSIGN_PASSWORD=bench DOCKER_CONFIG=$work/docker
(cd "$work" && ./cnbkit key generate >/dev/null)

publish() { # repository, extra flags...
	local repo=$1
	shift
	local start end
	start=$(date +%s%N)
	"$work/cnbkit" package "$host/$repo:1.0.0" --publish --quiet --path "$root/buildpacks/python-ffmpeg" "$@"
	end=$(date +%s%N)
	echo $(((end - start) / 1000000))
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }

echo "warm-up: $(publish warmup) ms" >&2
: >"$work/plain"
: >"$work/signed"
for i in $(seq 1 "$runs"); do
	p=$(publish "plain-$i")
	s=$(publish "signed-$i" --sign-key "$work/cosign.key")
	echo "run $i: without signing $p ms, with --sign-key $s ms"
	echo "$p" >>"$work/plain"
	echo "$s" >>"$work/signed"
done
mp=$(median <"$work/plain")
ms=$(median <"$work/signed")
echo "median of $runs: without signing $mp ms, with --sign-key $ms ms, signing adds $((ms - mp)) ms"
