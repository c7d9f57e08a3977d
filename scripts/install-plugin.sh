#!/bin/sh
# Plugin install/update hook: puts the helm-netpol binary at $HELM_PLUGIN_DIR/bin/helm-netpol.
#
# Helm runs it (with sh) with HELM_PLUGIN_DIR set to the installed plugin: the repository
# itself for the root `netpol` plugin, or plugins/netpol-postrender for the Helm 4
# post-renderer, whose repository root is then two levels up. In this order:
#
#  1. Go on PATH and the source there (a go.mod of this module in the plugin folder or two
#     levels up: a checkout, or Helm's clone of a git URL): build bin/helm-netpol from it.
#     Offline, and a development checkout gets its own working tree, not a release.
#  2. bin/helm-netpol already there, running, and of the plugin's version (a packaged
#     plugin tarball ships it): keep it.
#  3. Otherwise download the release archive helm-netpol_<version>_<os>_<arch>.tar.gz and
#     checksums.txt of the plugin's version, check the archive's sha256 against
#     checksums.txt, and install the binary in it.
#
# Environment:
#   HELM_NETPOL_RELEASE_URL  where the release's files are (a mirror, an air-gapped copy):
#                            an http(s) URL, or a local folder (a path or file:// URL).
#                            Default: https://github.com/helm-netpol/helm-netpol/releases/download/v<version>
#   HELM_NETPOL_INSTALL      auto (default: the order above), download (skip 1 and 2: always
#                            the release binary) or build (only 1: never download)
#
# Downloads with curl, else wget; checks with sha256sum, else shasum -a 256, else openssl.
# On any failure it says why in one paragraph on stderr and exits 1, and leaves no
# bin/helm-netpol that was not there before, nor any temporary file.
set -eu

: "${HELM_PLUGIN_DIR:?HELM_PLUGIN_DIR is not set: this script is run by helm plugin install/update}"
module=github.com/helm-netpol/helm-netpol
default_base=https://github.com/helm-netpol/helm-netpol/releases/download

# Resolve symlinks first: `helm plugin install <dir>` links the plugin directory, and ".."
# must mean the checkout, not the plugins folder.
plugin_dir=$(cd -P "$HELM_PLUGIN_DIR" && pwd -P)
bin_dir=$plugin_dir/bin
out=$bin_dir/helm-netpol
manifest=$plugin_dir/plugin.yaml
plugin=${HELM_PLUGIN_NAME:-$(sed -n 's/^name:[[:space:]]*//p' "$manifest" 2>/dev/null | head -n 1)}
plugin=${plugin:-netpol}
version=$(sed -n 's/^version:[[:space:]]*//p' "$manifest" 2>/dev/null | head -n 1 | tr -d "\"'[:space:]")

say() { printf 'helm-netpol: %s\n' "$*" >&2; }

# fail PARAGRAPH: the reason, what the user can do, and how to start again, then exit 1.
# Helm keeps a plugin whose install hook failed, so a new `helm plugin install` needs an
# uninstall first.
fail() {
	printf 'helm-netpol: the %s plugin could not be installed: %s The plugin stays registered without its binary: run "helm plugin uninstall %s" before installing it again.\n' \
		"$plugin" "$1" "$plugin" >&2
	exit 1
}

tmp=
made_bin_dir=
cleanup() {
	[ -z "$tmp" ] || rm -rf "$tmp"
	rm -f "$bin_dir/.helm-netpol.$$"
	if [ -n "$made_bin_dir" ] && [ ! -e "$out" ]; then
		rmdir "$bin_dir" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# install_file FILE: put FILE at $out by a rename, so $out is never half-written.
install_file() {
	if [ ! -d "$bin_dir" ]; then
		mkdir -p "$bin_dir"
		made_bin_dir=1
	fi
	cp "$1" "$bin_dir/.helm-netpol.$$"
	chmod 0755 "$bin_dir/.helm-netpol.$$"
	mv -f "$bin_dir/.helm-netpol.$$" "$out"
}

mode=${HELM_NETPOL_INSTALL:-auto}
case $mode in
auto | download | build) ;;
*) fail "HELM_NETPOL_INSTALL is \"$mode\"; it must be auto, download or build." ;;
esac

# 1. Build from source.
src=
for d in "$plugin_dir" "$plugin_dir/../.."; do
	if [ -f "$d/go.mod" ] && grep -qx "module $module" "$d/go.mod"; then
		src=$(cd -P "$d" && pwd -P)
		break
	fi
done
if [ "$mode" != download ] && [ -n "$src" ] && command -v go >/dev/null 2>&1; then
	say "building $out from $src"
	if commit=$(git -C "$src" rev-parse --short=12 HEAD 2>/dev/null); then
		[ -z "$(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null)" ] || commit=$commit-dirty
	else
		commit=unknown
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/helm-netpol-install.XXXXXX")
	(cd "$src" && CGO_ENABLED=0 go build -trimpath \
		-ldflags "-X main.version=${version:-dev} -X main.commit=$commit" -o "$tmp/helm-netpol" .) ||
		fail "go build in $src failed (its errors are above). To install the release binary instead, set HELM_NETPOL_INSTALL=download."
	install_file "$tmp/helm-netpol"
	exit 0
fi
if [ "$mode" = build ]; then
	if [ -z "$src" ]; then
		fail "HELM_NETPOL_INSTALL=build, but there is no helm-netpol source (a go.mod of $module) in $plugin_dir or two levels up."
	fi
	fail "HELM_NETPOL_INSTALL=build, but go is not on PATH. Install Go 1.26 or later (https://go.dev/dl/), or unset HELM_NETPOL_INSTALL to download the release binary."
fi

[ -n "$version" ] || fail "$manifest names no version, so there is no release to download."

# 2. Keep a binary of this version (a packaged plugin).
if [ "$mode" = auto ] && [ -f "$out" ] && [ -x "$out" ]; then
	case $("$out" version 2>/dev/null || true) in
	"helm-netpol $version "*)
		say "using the helm-netpol $version binary already at $out"
		exit 0
		;;
	esac
fi

# 3. Download the release.
case $(uname -s 2>/dev/null) in
Linux) os=linux ;;
Darwin) os=darwin ;;
*) os= ;;
esac
case $(uname -m 2>/dev/null) in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) arch= ;;
esac
if [ -z "$os" ] || [ -z "$arch" ]; then
	fail "there is no release binary for this platform ($(uname -s 2>/dev/null || echo unknown) $(uname -m 2>/dev/null || echo unknown)): releases are built for Linux and macOS (darwin) on amd64 (x86_64) and arm64 (aarch64). Build from source instead: install Go 1.26 or later (https://go.dev/dl/) and install the plugin from a helm-netpol checkout or its git URL."
fi

archive=helm-netpol_${version}_${os}_${arch}.tar.gz
base=${HELM_NETPOL_RELEASE_URL:-$default_base/v$version}
while :; do
	case $base in
	*/) base=${base%/} ;;
	*) break ;;
	esac
done
case $base in
file://*) local_dir=${base#file://} ;;
/*) local_dir=$base ;;
http://* | https://*) local_dir= ;;
*) fail "HELM_NETPOL_RELEASE_URL is \"$base\"; it must be an http:// or https:// URL, a file:// URL or an absolute path to the folder holding $archive and checksums.txt." ;;
esac

if [ -z "$local_dir" ]; then
	if command -v curl >/dev/null 2>&1; then
		fetch() { curl -fsSL --retry 2 --connect-timeout 30 -o "$2" "$1" 2>"$tmp/fetch.err"; }
	elif command -v wget >/dev/null 2>&1; then
		fetch() { wget -nv --tries=3 --timeout=30 -O "$2" "$1" 2>"$tmp/fetch.err"; }
	else
		fail "neither curl nor wget is on PATH, and one of them is needed to download $base/$archive. Install curl or wget; or download $archive and checksums.txt from $base by other means into one folder and set HELM_NETPOL_RELEASE_URL to that folder's absolute path."
	fi
else
	fetch() { cp "$local_dir/${1##*/}" "$2" 2>"$tmp/fetch.err"; }
fi

if command -v sha256sum >/dev/null 2>&1; then
	sha256() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
	sha256() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
elif command -v openssl >/dev/null 2>&1; then
	sha256() { openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1; }
else
	fail "none of sha256sum, shasum and openssl is on PATH, so the download of $archive could not be verified. Install one of them (coreutils has sha256sum)."
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/helm-netpol-install.XXXXXX")
for f in checksums.txt "$archive"; do
	if [ -z "$local_dir" ]; then
		say "downloading $base/$f"
	else
		say "copying $local_dir/$f"
	fi
	if ! fetch "$base/$f" "$tmp/$f"; then
		why=$(tr '\n' ' ' <"$tmp/fetch.err" | sed 's/[[:space:]]*$//')
		if [ -n "$local_dir" ]; then
			fail "$local_dir/$f could not be read${why:+ ($why)}. HELM_NETPOL_RELEASE_URL is \"$base\": it must name the folder holding the v$version release's $archive and checksums.txt."
		fi
		fail "the download of $base/$f failed${why:+ ($why)}. Check the network and that a release v$version with that file exists; to download from a mirror or a local copy of the release instead, set HELM_NETPOL_RELEASE_URL to the URL or absolute path of the folder holding $archive and checksums.txt."
	fi
done

want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/checksums.txt" | tr 'A-F' 'a-f')
[ -n "$want" ] || fail "$base/checksums.txt has no line for $archive, so it could not be verified and was not installed."
got=$(sha256 "$tmp/$archive")
if [ "$got" != "$want" ]; then
	fail "the sha256 of $base/$archive is $got, but checksums.txt says $want: the archive is corrupt or was tampered with, and was refused. Nothing was installed. Download again; if it persists, do not use this mirror."
fi

mkdir "$tmp/x"
if ! tar -xzf "$tmp/$archive" -C "$tmp/x" helm-netpol 2>"$tmp/tar.err" || [ ! -f "$tmp/x/helm-netpol" ]; then
	fail "$archive passed its checksum but holds no helm-netpol binary ($(tr '\n' ' ' <"$tmp/tar.err"))."
fi
chmod 0755 "$tmp/x/helm-netpol"
ran=$("$tmp/x/helm-netpol" version 2>&1) ||
	fail "the helm-netpol binary of $archive does not run on this machine: $ran"
install_file "$tmp/x/helm-netpol"
say "installed $ran at $out"
