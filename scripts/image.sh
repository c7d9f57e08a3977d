#!/usr/bin/env bash
# Builds the Argo CD sidecar image of helm-netpol (docs/argocd.md) without a container
# daemon: the pinned crane (scripts/tools.sh) appends layers onto an empty base and sets
# the image config, through a throwaway registry of its own on 127.0.0.1 that lives only
# while this script runs. The image holds:
#
#   /usr/local/bin/helm-netpol                  this checkout, static (CGO_ENABLED=0)
#   /usr/local/bin/helm                         the pinned Helm 3 (.bin/helm3), static
#   /home/argocd/cmp-server/config/plugin.yaml  argocd/plugin.yaml, where argocd-cmp-server reads it
#   /tmp                                        world-writable (the sidecar mounts cmp-tmp over it)
#   /etc/ssl/certs/ca-certificates.crt          with --ca-bundle: for https chart dependencies
#
# and no shell, no /etc/passwd: it runs as 999:999 (Argo CD's user) with USER and HOME
# set, and Helm's cache, config and data under /tmp. The entrypoint is
# /var/run/argocd/argocd-cmp-server, which Argo CD's repo-server copies into the shared
# var-files volume. Only linux on this machine's architecture (go env GOARCH): the
# bundled helm is the pinned one built here.
#
# Deterministic: layers are tarred with fixed owners, modes and times, in name order,
# and the config carries no creation time, so the same checkout and tools give the same
# image digest (a dirty tree is marked in the revision label and in helm-netpol version).
#
# Usage:
#   scripts/image.sh [--output FILE] [--tag NAME] [--ca-bundle FILE]
#
#   --output FILE     the image tarball (default: dist/helm-netpol-cmp-<version>-linux-<arch>.tar),
#                     for `crane push FILE REF`, `docker load -i FILE` or `podman load -i FILE`
#   --tag NAME        the name recorded in the tarball (default: helm-netpol-cmp:<version>)
#   --ca-bundle FILE  PEM certificates to trust, e.g. /etc/ssl/certs/ca-certificates.crt
#                     (default: none; charts without https dependencies need none)
#
# Prints the tarball's path on stdout.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

die() {
	printf 'image.sh: %s\n' "$*" >&2
	exit "${2:-1}"
}
usage() { sed -n '2,33p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; }

version=$(sed -n 's/^version:[[:space:]]*//p' plugins/netpol-postrender/plugin.yaml)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "plugins/netpol-postrender/plugin.yaml: version \"$version\" is not semver"
arch=$(go env GOARCH)
output=dist/helm-netpol-cmp-$version-linux-$arch.tar
tag=helm-netpol-cmp:$version
ca_bundle=''
while [ $# -gt 0 ]; do
	case $1 in
	--output | -o) output=${2:?--output needs a value}; shift 2 ;;
	--output=*) output=${1#*=}; shift ;;
	--tag | -t) tag=${2:?--tag needs a value}; shift 2 ;;
	--tag=*) tag=${1#*=}; shift ;;
	--ca-bundle) ca_bundle=${2:?--ca-bundle needs a value}; shift 2 ;;
	--ca-bundle=*) ca_bundle=${1#*=}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage; die "unknown argument $1" 2 ;;
	esac
done
if [ -n "$ca_bundle" ]; then
	[ -f "$ca_bundle" ] || die "--ca-bundle $ca_bundle: no such file"
	grep -q 'BEGIN CERTIFICATE' "$ca_bundle" || die "--ca-bundle $ca_bundle: no PEM certificate in it"
fi

scripts/tools.sh helm3 crane >&2 || die "scripts/tools.sh helm3 crane failed"
crane=$root/.bin/crane

stage=$(mktemp -d "${TMPDIR:-/tmp}/helm-netpol-image.XXXXXX")
registry_pid=''
cleanup() {
	[ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
	rm -rf "$stage"
}
trap cleanup EXIT

commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	commit+=-dirty
fi

# Three layers, from the least to the most often changed: the folders (and CA bundle),
# helm, then helm-netpol and the plugin config.
base=$stage/base helm=$stage/helm netpol=$stage/netpol
mkdir -p "$base/tmp" "$base/home/argocd/cmp-server/config" "$base/usr/local/bin" \
	"$helm/usr/local/bin" "$netpol/usr/local/bin" "$netpol/home/argocd/cmp-server/config"
if [ -n "$ca_bundle" ]; then
	mkdir -p "$base/etc/ssl/certs"
	cp "$ca_bundle" "$base/etc/ssl/certs/ca-certificates.crt"
fi
cp .bin/helm3 "$helm/usr/local/bin/helm"
cp argocd/plugin.yaml "$netpol/home/argocd/cmp-server/config/plugin.yaml"
printf 'image.sh: building helm-netpol %s (%s) for linux/%s\n' "$version" "$commit" "$arch" >&2
CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath \
	-ldflags "-s -w -X main.version=$version -X main.commit=$commit" \
	-o "$netpol/usr/local/bin/helm-netpol" . || die "go build failed"

# layer DIR TAR: DIR's tree as a reproducible layer tarball, owned by root.
layer() {
	local dir=$1
	find "$dir" -type d -exec chmod 0755 {} +
	find "$dir" -type f -exec chmod 0644 {} +
	[ ! -d "$dir/usr/local/bin" ] || find "$dir/usr/local/bin" -type f -exec chmod 0755 {} +
	[ ! -d "$dir/tmp" ] || chmod 1777 "$dir/tmp"
	(cd "$dir" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
		tar --create --file "$2" --format=gnu --mtime=@0 --owner=0 --group=0 --numeric-owner \
			--no-recursion --files-from=-)
}
layer "$base" "$stage/base.tar"
layer "$helm" "$stage/helm.tar"
layer "$netpol" "$stage/netpol.tar"

# A registry of our own, for as long as this script runs: crane sets an image's config
# (user, env, entrypoint) only on an image in a registry.
"$crane" registry serve --address 127.0.0.1:0 2>"$stage/registry.log" &
registry_pid=$!
port=''
for _ in $(seq 100); do
	port=$(sed -n 's/.*serving on port \([0-9][0-9]*\).*/\1/p' "$stage/registry.log")
	[ -z "$port" ] || break
	kill -0 "$registry_pid" 2>/dev/null || die "crane registry serve exited: $(tail -c 400 "$stage/registry.log")"
	sleep 0.1
done
[ -n "$port" ] || die "crane registry serve did not say its port: $(tail -c 400 "$stage/registry.log")"
ref=127.0.0.1:$port/helm-netpol-cmp:build

"$crane" append --oci-empty-base -f "$stage/base.tar" -f "$stage/helm.tar" -f "$stage/netpol.tar" \
	-t "$ref" >"$stage/append.log" 2>&1 || die "crane append failed: $(tail -c 600 "$stage/append.log")"
mkdir -p "$(dirname "$output")"
"$crane" mutate "$ref" --set-platform "linux/$arch" \
	--user 999:999 --workdir /home/argocd \
	--entrypoint /var/run/argocd/argocd-cmp-server \
	-e PATH=/usr/local/bin \
	-e HOME=/home/argocd \
	-e USER=argocd \
	-e HELM_CACHE_HOME=/tmp/helm/cache \
	-e HELM_CONFIG_HOME=/tmp/helm/config \
	-e HELM_DATA_HOME=/tmp/helm/data \
	-l org.opencontainers.image.title=helm-netpol-cmp \
	-l org.opencontainers.image.description="helm-netpol as an Argo CD Config Management Plugin sidecar" \
	-l org.opencontainers.image.version="$version" \
	-l org.opencontainers.image.revision="$commit" \
	-l org.opencontainers.image.source=https://github.com/helm-netpol/helm-netpol \
	-t "$tag" -o "$output.tmp" >"$stage/mutate.log" 2>&1 ||
	die "crane mutate failed: $(tail -c 600 "$stage/mutate.log")"
mv -f "$output.tmp" "$output"
echo "$output"
