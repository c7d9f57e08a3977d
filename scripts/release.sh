#!/usr/bin/env bash
# Builds the release artifacts of helm-netpol in GoReleaser's layout, the one the plugin
# install hook (scripts/install-plugin.sh) downloads from:
#
#   helm-netpol_<version>_<os>_<arch>.tar.gz          the binary helm-netpol (+ README.md,
#                                                     LICENSE when present), at the root
#   netpol-<version>-<os>-<arch>.tgz                  the CLI plugin `netpol` (root
#                                                     plugin.yaml, scripts/install-plugin.sh,
#                                                     bin/helm-netpol) for Helm 3 and 4
#   netpol-postrender-<version>-<os>-<arch>.tgz       the Helm 4 post-renderer plugin, in
#                                                     `helm plugin package`'s layout
#                                                     (netpol-postrender/plugin.yaml and
#                                                     netpol-postrender/bin/helm-netpol)
#   checksums.txt                                     sha256 of each file above, one
#                                                     "<hex>  <file>" line each, by name
#
# for <os> in linux, darwin and <arch> in amd64, arm64. The plugin tarballs are named
# <plugin>-<version>-...: Helm names the folder it installs a plugin tarball into after the
# file name up to "-<digit>." (netpol-postrender-0.1.0-linux-amd64.tgz installs into
# plugins/netpol-postrender). The netpol tarball has plugin.yaml at its root because Helm 3
# looks for it nowhere else; Helm 4 takes either layout.
#
# Not GoReleaser: the GoReleaser versions this project's machines can install are marked
# as not approved releases there, so this script makes the same layout itself. Binaries
# are built with CGO_ENABLED=0 -trimpath and -ldflags "-s -w -X main.version=<version>
# -X main.commit=<commit>", <version> being plugin.yaml's and <commit> git's (12 digits,
# "-dirty" when tracked files are modified; "unknown" outside git).
#
# Reproducible: the same source and Go toolchain give the same bytes. Tar entries are
# sorted, owned by 0:0, with fixed modes and every mtime set to SOURCE_DATE_EPOCH (default:
# the commit's time), and gzip writes no name or timestamp. Needs GNU tar and gzip.
#
# Usage:
#   scripts/release.sh --snapshot [--dist DIR] [--clean]
#   scripts/release.sh [--dist DIR] [--clean]
#
#   --snapshot  build whatever is checked out; without it the work tree must be clean and
#               HEAD tagged v<version>, and the result is what to upload to that release
#   --dist DIR  where to write the artifacts (default: dist); it must not exist or be empty
#   --clean     remove DIR first
#
# Prints the artifacts' paths on stdout, checksums.txt last.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

die() {
	printf 'release.sh: %s\n' "$1" >&2
	exit "${2:-1}"
}
usage() { sed -n '2,44p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; }

snapshot=0 dist=dist clean=0
while [ $# -gt 0 ]; do
	case $1 in
	--snapshot) snapshot=1; shift ;;
	--dist) dist=${2:?--dist needs a value}; shift 2 ;;
	--dist=*) dist=${1#*=}; shift ;;
	--clean) clean=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage; die "unknown argument $1" 2 ;;
	esac
done

platforms=(linux/amd64 linux/arm64 darwin/amd64 darwin/arm64)

# manifest_field FILE KEY: a top-level scalar of a plugin.yaml, quotes removed.
manifest_field() { sed -n "s/^$2:[[:space:]]*//p" "$1" | head -n 1 | tr -d "\"'"; }

version=$(manifest_field plugin.yaml version)
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]*)?$ ]] || die "plugin.yaml: version \"$version\" is not semver"
pr_version=$(manifest_field plugins/netpol-postrender/plugin.yaml version)
[ "$pr_version" = "$version" ] ||
	die "plugins/netpol-postrender/plugin.yaml has version $pr_version, plugin.yaml $version: they must be equal"
[ "$(manifest_field plugin.yaml name)" = netpol ] || die "plugin.yaml: name is not netpol"
[ "$(manifest_field plugins/netpol-postrender/plugin.yaml name)" = netpol-postrender ] ||
	die "plugins/netpol-postrender/plugin.yaml: name is not netpol-postrender"

commit=unknown
if git rev-parse --verify -q HEAD >/dev/null 2>&1; then
	commit=$(git rev-parse --short=12 HEAD)
	[ -z "$(git status --porcelain --untracked-files=no)" ] || commit+=-dirty
fi
if [ "$snapshot" = 0 ]; then
	[ "$commit" != unknown ] || die "not a git checkout: only --snapshot builds outside git"
	[[ $commit != *-dirty ]] || die "the work tree has modified files: commit them, or build with --snapshot"
	tagged=$(git rev-parse -q --verify "refs/tags/v$version^{commit}" 2>/dev/null || true)
	[ "$tagged" = "$(git rev-parse HEAD)" ] ||
		die "HEAD is not tagged v$version (plugin.yaml's version): tag it, or build with --snapshot"
fi

epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
[[ $epoch =~ ^[0-9]+$ ]] || die "SOURCE_DATE_EPOCH \"$epoch\" is not a number of seconds"

tar --version 2>/dev/null | grep -q 'GNU tar' || die "GNU tar is needed (--sort, --owner, --mtime)"
command -v gzip >/dev/null || die "gzip is not on PATH"
command -v go >/dev/null || die "go is not on PATH"
if command -v sha256sum >/dev/null; then
	sha256() { sha256sum "$@"; }
elif command -v shasum >/dev/null; then
	sha256() { shasum -a 256 "$@"; }
else
	die "neither sha256sum nor shasum is on PATH"
fi

if [ "$clean" = 1 ]; then
	rm -rf "$dist"
fi
if [ -d "$dist" ] && [ -n "$(ls -A "$dist")" ]; then
	die "$dist is not empty: remove it, or pass --clean"
fi
mkdir -p "$dist"
dist=$(cd "$dist" && pwd)

stage=$(mktemp -d "${TMPDIR:-/tmp}/helm-netpol-release.XXXXXX")
trap 'rm -rf "$stage"' EXIT

# targz OUT DIR ENTRY...: a reproducible gzipped tar of DIR's ENTRYs (and what is in them).
targz() {
	local out=$1 dir=$2
	shift 2
	# Modes are set here, not taken from the umask: directories and executables 0755,
	# other files 0644.
	find "$dir" -type d -exec chmod 0755 {} +
	find "$dir" -type f -exec chmod go-w,a+r {} +
	# --sort=name orders what is inside folders, not the names given: sort those too.
	local entries
	mapfile -t entries < <(printf '%s\n' "$@" | LC_ALL=C sort)
	tar --create --format=ustar --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime="@$epoch" --directory="$dir" "${entries[@]}" | gzip -n -9 >"$out"
}

extras=()
for f in LICENSE README.md; do
	[ -f "$f" ] && extras+=("$f")
done

artifacts=()
for platform in "${platforms[@]}"; do
	goos=${platform%/*} goarch=${platform#*/}
	printf 'release.sh: building helm-netpol %s (%s) for %s/%s\n' "$version" "$commit" "$goos" "$goarch" >&2
	bin=$stage/$goos-$goarch/helm-netpol
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath \
		-ldflags "-s -w -X main.version=$version -X main.commit=$commit" -o "$bin" . ||
		die "go build for $goos/$goarch failed"
	chmod 0755 "$bin"

	# The archive: the binary and the docs at its root, as GoReleaser's default archive.
	a=$stage/archive-$goos-$goarch
	mkdir -p "$a"
	cp "$bin" "$a/helm-netpol"
	for f in ${extras[@]+"${extras[@]}"}; do cp "$f" "$a/"; done
	name=helm-netpol_${version}_${goos}_${goarch}.tar.gz
	targz "$dist/$name" "$a" helm-netpol ${extras[@]+"${extras[@]}"}
	artifacts+=("$name")

	# The CLI plugin netpol: its files at the root, where Helm 3 reads plugin.yaml. The
	# install hook finds bin/helm-netpol there and keeps it.
	p=$stage/netpol-$goos-$goarch
	mkdir -p "$p/bin" "$p/scripts"
	cp plugin.yaml "$p/plugin.yaml"
	cp scripts/install-plugin.sh "$p/scripts/install-plugin.sh"
	cp "$bin" "$p/bin/helm-netpol"
	name=netpol-$version-$goos-$goarch.tgz
	targz "$dist/$name" "$p" bin plugin.yaml scripts
	artifacts+=("$name")

	# The post-renderer plugin: one folder named after the plugin, as `helm plugin package`
	# writes it.
	p=$stage/netpol-postrender-$goos-$goarch
	mkdir -p "$p/netpol-postrender/bin"
	cp plugins/netpol-postrender/plugin.yaml "$p/netpol-postrender/plugin.yaml"
	cp "$bin" "$p/netpol-postrender/bin/helm-netpol"
	name=netpol-postrender-$version-$goos-$goarch.tgz
	targz "$dist/$name" "$p" netpol-postrender
	artifacts+=("$name")
done

# checksums.txt: GoReleaser's format, sorted by file name.
(cd "$dist" && printf '%s\n' "${artifacts[@]}" | LC_ALL=C sort | while IFS= read -r f; do sha256 "$f"; done) >"$stage/checksums.txt"
mv "$stage/checksums.txt" "$dist/checksums.txt"

for f in "${artifacts[@]}"; do echo "$dist/$f"; done
echo "$dist/checksums.txt"
