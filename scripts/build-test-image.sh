#!/usr/bin/env bash
# Builds the container tests' image without a registry: /bin/busybox from Debian's busybox-static,
# its applets as symlinks, and a marker file only the image has (/kontroler-test-image), tarred
# and `podman import`ed. Idempotent: an image of the same name (the recipe's version) is kept.
# Run with the test Podman environment (scripts/podman-test-env.sh) sourced.
#   bash scripts/build-test-image.sh [image-name]
set -euo pipefail
image="${1:-localhost/kontroler-test-busybox:1}"
if podman image exists "$image"; then exit 0; fi
busybox="$(command -v busybox || true)"
if [ -z "$busybox" ] || ! "$busybox" --list >/dev/null 2>&1 || ldd "$busybox" >/dev/null 2>&1; then
  echo "build-test-image: a static busybox is needed: bash scripts/install-system-deps.sh busybox-static" >&2
  exit 1
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/root/bin" "$dir/root/tmp" "$dir/root/etc"
cp "$busybox" "$dir/root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$dir/root/bin/$applet"
done
echo "kontroler test image" > "$dir/root/kontroler-test-image"
echo "root:x:0:0:root:/root:/bin/sh" > "$dir/root/etc/passwd"
tar -C "$dir/root" -cf "$dir/image.tar" .
podman import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' "$dir/image.tar" "$image" >/dev/null
echo "build-test-image: built $image"
