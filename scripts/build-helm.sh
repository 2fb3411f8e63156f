#!/usr/bin/env bash
# Builds Helm (helm.sh/helm/v3, from the Go module proxy) once into a cache outside the
# repository and prints the binary's path; a no-op when it is there. Used by the test that
# renders deploy/helm/kontroler and dry-runs it against the real apiserver. Progress on stderr.
#
#   scripts/build-helm.sh   -> ~/.cache/kontroler/helm/<version>/helm
set -euo pipefail
version="${KONTROLER_HELM_VERSION:-v3.19.0}"
export GOTOOLCHAIN=local CGO_ENABLED=0
if command -v helm >/dev/null 2>&1 && [ -z "${KONTROLER_HELM_BUILD:-}" ]; then
  command -v helm
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-helm: neither helm nor the Go toolchain is on PATH; install one of them" >&2
  exit 1
fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/kontroler/helm/$version"
mkdir -p "$cache"
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ -x "$cache/helm" ]; then
  echo "$cache/helm"
  exit 0
fi
echo "build-helm: building helm $version from the Go module proxy (cold: a few minutes on 2 cores)..." >&2
GOBIN="$cache/bin.tmp" go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@$version" >&2
mv "$cache/bin.tmp/helm" "$cache/helm"
rm -rf "$cache/bin.tmp"
echo "$cache/helm"
