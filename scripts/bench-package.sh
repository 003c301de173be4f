#!/usr/bin/env bash
# Benchmarks `cnbkit package` against `pack buildpack package --format file` (the pack version
# integration/internal/packtool builds) and against `tar -czf` of the same bytes (the floor:
# one gzip pass over the files), on the same prebuilt buildpack, and prints the times and
# ratios.
#
#   scripts/bench-package.sh [runs] [size-in-MiB]
#
# The buildpack is generated: bin/build, bin/detect, buildpack.toml, half incompressible data
# and half text, SIZE MiB in all (default 64). Each tool runs RUNS times (default 3); the best
# time counts. pack is taken from the test cache (<user cache>/cnbkit-it/pack-<version>-<arch>,
# as integration/packager_test builds it) or built from the Go module proxy into it.
# Needs: go, tar, gzip. No Docker daemon.
set -euo pipefail

runs=${1:-3}
size=${2:-64}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

arch=$(go env GOARCH)
cache=${CNBKIT_IT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cnbkit-it}
# The version integration/internal/packtool builds (its Version constant).
packver=$(sed -n 's/^const Version = "\(.*\)"$/\1/p' "$root/integration/internal/packtool/packtool.go")
pack=$cache/pack-$packver-$arch/pack
if [ ! -x "$pack" ]; then
	echo "building pack $packver into $pack (once)" >&2
	mkdir -p "$work/packsrc" "$(dirname "$pack")"
	(cd "$work/packsrc" && go mod init cnbkit-pack-build >/dev/null 2>&1 &&
		GOWORK=off GOFLAGS=-mod=mod go get "github.com/buildpacks/pack@v$packver" >/dev/null 2>&1 &&
		GOWORK=off GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
			-ldflags "-s -w -X 'github.com/buildpacks/pack/pkg/client.Version=$packver'" \
			-o "$pack.tmp" github.com/buildpacks/pack)
	mv "$pack.tmp" "$pack"
fi

echo "building cnbkit" >&2
(cd "$root" && go build -trimpath -o "$work/cnbkit" ./cmd/cnbkit)

bp=$work/bp
mkdir -p "$bp/bin" "$bp/data"
cat >"$bp/buildpack.toml" <<'TOML'
api = "0.10"

[buildpack]
id = "bench/prebuilt"
version = "1.0.0"

[[targets]]
os = "linux"
arch = "amd64"
TOML
printf '#!/usr/bin/env bash\nexit 0\n' >"$bp/bin/detect"
printf '#!/usr/bin/env bash\necho build\n' >"$bp/bin/build"
chmod +x "$bp/bin/detect" "$bp/bin/build"
half=$((size / 2))
head -c $((half * 1024 * 1024)) /dev/urandom >"$bp/data/random.bin"
for i in $(seq 1 "$half"); do
	awk -v s="$i" 'BEGIN { for (n = 0; n < 40000; n++) printf "line %d of file %s: some buildpack text\n", n, s }' >"$bp/data/text-$i.txt"
done
printf '[buildpack]\nuri = "%s"\n' "$bp" >"$work/package.toml"

# best TIME_NS of running "$@" $runs times
best() {
	local best_ns=0
	for _ in $(seq 1 "$runs"); do
		local start end
		start=$(date +%s%N)
		"$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@" >&2; exit 1; }
		end=$(date +%s%N)
		local d=$((end - start))
		if [ "$best_ns" -eq 0 ] || [ "$d" -lt "$best_ns" ]; then best_ns=$d; fi
	done
	echo "$best_ns"
}

export DOCKER_HOST=unix:///nonexistent/docker.sock PACK_HOME=$work/pack-home
t_cnbkit=$(best "$work/cnbkit" package --path "$bp" --target linux/amd64 -q "$work/out/cnbkit.cnb")
t_pack=$(best "$pack" buildpack package "$work/out/pack.cnb" --config "$work/package.toml" --format file --target linux/amd64)
t_tar=$(best tar -C "$bp" -czf "$work/out/floor.tgz" .)

ms() { awk -v n="$1" 'BEGIN { printf "%.0f", n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
size_of() { du -k "$1" | cut -f1; }
pack_file=$(ls "$work"/out/pack*.cnb | head -n 1)

echo "buildpack: ${size} MiB (half random, half text), best of $runs runs, $(nproc) CPUs"
printf '%-34s %8s ms %8s KiB\n' "cnbkit package" "$(ms "$t_cnbkit")" "$(size_of "$work/out/cnbkit.cnb")"
printf '%-34s %8s ms %8s KiB\n' "pack buildpack package --format file" "$(ms "$t_pack")" "$(size_of "$pack_file")"
printf '%-34s %8s ms %8s KiB\n' "tar -czf (floor)" "$(ms "$t_tar")" "$(size_of "$work/out/floor.tgz")"
echo "cnbkit / pack:  $(ratio "$t_cnbkit" "$t_pack")"
echo "cnbkit / tar:   $(ratio "$t_cnbkit" "$t_tar")"
echo "pack / tar:     $(ratio "$t_pack" "$t_tar")"
