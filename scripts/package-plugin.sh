#!/usr/bin/env bash
# Packages the Helm 4 post-renderer plugin (plugins/netpol-postrender) with a prebuilt
# helm-netpol binary inside, as dist/netpol-postrender-<version>.tgz, using the pinned
# Helm 4's own `helm plugin package` (scripts/tools.sh builds it into .bin/helm4).
#
# The tarball holds one binary, for GOOS/GOARCH (default: this machine), so build one
# tarball per platform, each into its own --destination: they share a file name.
# Without --key the tarball is unsigned and `helm plugin install` needs --verify=false.
# With --key it is signed with that PGP key and a .prov file is written beside it;
# Helm 4 verifies that file by default on install (see docs/helm.md).
#
# Usage:
#   scripts/package-plugin.sh [--destination DIR] [--key NAME --keyring SECRING [--passphrase-file FILE]]
#
#   --destination DIR       where to write the tarball (default: dist)
#   --key NAME              sign with this key (a user ID or part of it, as Helm matches it)
#   --keyring FILE          the secret keyring holding --key, in the legacy format
#                           (GnuPG 2.1+: gpg --export-secret-keys > secring.gpg)
#   --passphrase-file FILE  the key's passphrase ("-" reads stdin); none: Helm asks for it
#
# Prints the tarball's path (and the .prov's, when signed) on stdout.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

die() {
	printf 'package-plugin.sh: %s\n' "$*" >&2
	exit "${2:-1}"
}
usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; }

dest=dist key='' keyring='' passphrase_file=''
while [ $# -gt 0 ]; do
	case $1 in
	--destination | -d) dest=${2:?--destination needs a value}; shift 2 ;;
	--destination=*) dest=${1#*=}; shift ;;
	--key) key=${2:?--key needs a value}; shift 2 ;;
	--key=*) key=${1#*=}; shift ;;
	--keyring) keyring=${2:?--keyring needs a value}; shift 2 ;;
	--keyring=*) keyring=${1#*=}; shift ;;
	--passphrase-file) passphrase_file=${2:?--passphrase-file needs a value}; shift 2 ;;
	--passphrase-file=*) passphrase_file=${1#*=}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage; die "unknown argument $1" 2 ;;
	esac
done
if [ -z "$key" ] && { [ -n "$keyring" ] || [ -n "$passphrase_file" ]; }; then
	die "--keyring and --passphrase-file only make sense with --key" 2
fi
if [ -n "$key" ] && [ -z "$keyring" ]; then
	die "--key needs --keyring: the secret keyring (GnuPG 2.1+ keeps none by default; gpg --export-secret-keys > secring.gpg)" 2
fi

src=plugins/netpol-postrender
name=$(sed -n 's/^name:[[:space:]]*//p' "$src/plugin.yaml")
version=$(sed -n 's/^version:[[:space:]]*//p' "$src/plugin.yaml")
[ "$name" = netpol-postrender ] || die "$src/plugin.yaml: name is \"$name\", want netpol-postrender"
[[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "$src/plugin.yaml: version \"$version\" is not semver"

scripts/tools.sh helm4 >&2 || die "scripts/tools.sh helm4 failed"
helm4=$root/.bin/helm4

stage=$(mktemp -d "${TMPDIR:-/tmp}/netpol-postrender.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# Helm names the tarball's top folder after the plugin, not after this folder; only what
# is staged here goes in: the manifest and the binary, not a development build that may
# sit in plugins/netpol-postrender/bin.
plugin=$stage/$name
mkdir -p "$plugin/bin"
cp "$src/plugin.yaml" "$plugin/plugin.yaml"

commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	commit+=-dirty
fi
goos=$(go env GOOS) goarch=$(go env GOARCH)
printf 'package-plugin.sh: building helm-netpol %s (%s) for %s/%s\n' "$version" "$commit" "$goos" "$goarch" >&2
CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X main.version=$version -X main.commit=$commit" \
	-o "$plugin/bin/helm-netpol" . ||
	die "go build failed"

# Every entry carries the commit's time, not the build's, so packaging one commit twice
# gives the same bytes (for the same user: tar headers carry the uid and gid). GNU touch
# only; elsewhere the entries keep the build's time.
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
find "$plugin" -exec touch -h -d "@$epoch" {} + 2>/dev/null || true

mkdir -p "$dest"
tgz=$dest/$name-$version.tgz
rm -f "$tgz" "$tgz.prov"
args=(plugin package "$plugin" --destination "$dest")
if [ -n "$key" ]; then
	args+=(--sign --key "$key" --keyring "$keyring")
	[ -z "$passphrase_file" ] || args+=(--passphrase-file "$passphrase_file")
else
	args+=(--sign=false)
fi
# Helm's messages (the unsigned warning included) go to stderr; stdout is the result.
"$helm4" "${args[@]}" >&2 || die "helm plugin package failed"
[ -f "$tgz" ] || die "helm plugin package wrote no $tgz"

# The layout Helm 4 installs from: <name>/plugin.yaml and an executable <name>/bin/helm-netpol.
listing=$(tar -tvzf "$tgz")
grep -Eq "^-rwx.* $name/bin/helm-netpol\$" <<<"$listing" || die "$tgz lacks an executable $name/bin/helm-netpol: $listing"
grep -Eq "^-.* $name/plugin\.yaml\$" <<<"$listing" || die "$tgz lacks $name/plugin.yaml: $listing"

echo "$tgz"
[ -z "$key" ] || echo "$tgz.prov"
