#!/usr/bin/env bash
# Builds test/kube-harness (a real kube-apiserver + embedded etcd, see its main.go) once, into a
# cache outside the repository keyed on the hash of its sources, and prints the binary's path.
# A no-op when the cached binary exists. Progress goes to stderr; only the path goes to stdout.
#
#   scripts/build-kube-harness.sh            -> /root/.cache/kontroler/kube-harness/<hash>/kube-harness
#
# The cold build (module download + compile on 2 cores) takes minutes; its duration is written to
# <cache>/<hash>/build.json for scripts/bench-kube.mjs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/test/kube-harness"
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
# A static binary, as Kubernetes releases build it: no C toolchain needed, same result everywhere.
export CGO_ENABLED=0
recipe="CGO_ENABLED=0 -trimpath -ldflags=-s -w"

if ! command -v go >/dev/null 2>&1; then
  echo "build-kube-harness: the Go toolchain (go >= 1.24) is not on PATH; it is needed to build the kube-apiserver test harness" >&2
  exit 1
fi
goversion="$(go env GOVERSION)"
if ! printf '%s\n' "go1.24" "$goversion" | sort -V -C; then
  echo "build-kube-harness: $goversion is too old: k8s.io/kubernetes $(awk '$1 == "k8s.io/kubernetes" { print $2 }' "$src/go.mod") needs go >= 1.24" >&2
  exit 1
fi

# Build from a snapshot, so the binary always matches the hash even if the sources change meanwhile.
snap="$(mktemp -d "${TMPDIR:-/tmp}/kube-harness-src.XXXXXX")"
trap 'rm -rf "$snap"' EXIT
cp "$src"/go.mod "$src"/go.sum "$src"/*.go "$snap"/
hash="$(cd "$snap" && { go version; echo "$recipe"; cat go.mod go.sum; for f in $(ls *.go | LC_ALL=C sort); do echo "== $f"; cat "$f"; done; } | sha256sum | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/kontroler/kube-harness/$hash"
bin="$cache/kube-harness"
mkdir -p "$cache"

# One build at a time per hash (two fixtures or a fixture and kube:up may race).
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

k8s="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$snap/go.mod")"
minor="$(echo "$k8s" | cut -d. -f2)"
pkg="k8s.io/component-base/version"
ldflags="-s -w -X $pkg.gitVersion=$k8s -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
ldflags="$ldflags -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"

echo "build-kube-harness: building kube-apiserver $k8s + embedded etcd (cold: module download and a compile of several minutes on 2 cores; later runs reuse $cache)" >&2
modules_cached=false
[ -d "$(go env GOMODCACHE)/k8s.io/kubernetes@$k8s" ] && modules_cached=true
start=$(date +%s)
(
  cd "$snap"
  echo "build-kube-harness: go mod download..." >&2
  go mod download
  echo "build-kube-harness: go build -p ${KUBE_HARNESS_BUILD_JOBS:-2}..." >&2
  go build -p "${KUBE_HARNESS_BUILD_JOBS:-2}" -trimpath -ldflags "$ldflags" -o "$bin.tmp" .
)
mv "$bin.tmp" "$bin"
seconds=$(( $(date +%s) - start ))
# modulesCached=false means the module download was part of the time (a cold machine).
printf '{"seconds": %d, "modulesCached": %s, "kubernetes": "%s", "go": "%s", "builtAt": "%s", "host": "%s", "cpus": %d}\n' \
  "$seconds" "$modules_cached" "$k8s" "$(go env GOVERSION)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(hostname)" "$(nproc)" > "$cache/build.json"
echo "build-kube-harness: built in ${seconds}s: $bin" >&2
echo "$bin"
