#!/usr/bin/env bash
# The private Podman setup of the container tests: a containers.conf and storage.conf of their own
# (nothing in /etc is read or changed), storage cached under ~/.cache/kontroler/podman, run state
# under $KONTROLER_PODMAN_RUN (a temporary folder). Source it, then use `podman` as usual:
#   KONTROLER_PODMAN_RUN=/tmp/x source scripts/podman-test-env.sh
# Facts of these machines it encodes: crun fails on hybrid cgroups ("cgroups in hybrid mode not
# supported"), so runc is the OCI runtime; podman's default nofile/nproc ulimits exceed what the
# sandbox allows (`setrlimit ... operation not permitted`), so containers get 1024:1024.
set -euo pipefail
cache="${KONTROLER_PODMAN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kontroler/podman}"
run="${KONTROLER_PODMAN_RUN:?set KONTROLER_PODMAN_RUN to a folder for podman run state}"
mkdir -p "$cache/storage" "$run/runroot" "$run/tmp"
runc="$(command -v runc || echo /usr/sbin/runc)"
cat > "$run/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
log_driver = "k8s-file"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$run/tmp"
[engine.runtimes]
runc = ["$runc"]
CONF
cat > "$run/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$cache/storage"
runroot = "$run/runroot"
CONF
export CONTAINERS_CONF="$run/containers.conf"
export CONTAINERS_STORAGE_CONF="$run/storage.conf"
