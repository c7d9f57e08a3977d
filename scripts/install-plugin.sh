#!/bin/sh
# Plugin install/update hook: puts the helm-netpol binary at $HELM_PLUGIN_DIR/bin/helm-netpol.
#
# Helm runs it with HELM_PLUGIN_DIR set to the installed plugin: the repository itself for
# the root `netpol` plugin, or plugins/netpol-postrender for the Helm 4 post-renderer, whose
# repository root is then two levels up. When Go and the source are there, it builds;
# otherwise a binary already at bin/helm-netpol (a packaged plugin) is kept; otherwise it
# says what is missing and fails.
set -eu

: "${HELM_PLUGIN_DIR:?HELM_PLUGIN_DIR is not set: this script is run by helm plugin install/update}"
module=github.com/helm-netpol/helm-netpol

# Resolve symlinks first: `helm plugin install <dir>` links the plugin directory, and ".."
# must mean the checkout, not the plugins folder.
plugin_dir=$(cd -P "$HELM_PLUGIN_DIR" && pwd -P)
out="$plugin_dir/bin/helm-netpol"

src=
for d in "$plugin_dir" "$plugin_dir/../.."; do
	if [ -f "$d/go.mod" ] && grep -qx "module $module" "$d/go.mod"; then
		src=$(cd -P "$d" && pwd -P)
		break
	fi
done

if [ -n "$src" ] && command -v go >/dev/null 2>&1; then
	echo "helm-netpol: building $out from $src" >&2
	mkdir -p "$plugin_dir/bin"
	(cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$out.tmp" .)
	mv -f "$out.tmp" "$out"
	exit 0
fi

if [ -x "$out" ]; then
	echo "helm-netpol: using the binary already at $out" >&2
	exit 0
fi

if [ -n "$src" ]; then
	echo "helm-netpol: Go is needed to build the plugin's binary from $src, and go is not on PATH." >&2
else
	echo "helm-netpol: no helm-netpol source (a go.mod of $module) in $plugin_dir or two levels up, and no binary at $out." >&2
fi
echo "Either install Go 1.26 or later (https://go.dev/dl/) and install the plugin again" >&2
echo "(helm plugin uninstall ${HELM_PLUGIN_NAME:-netpol}, then helm plugin install), or put a" >&2
echo "helm-netpol binary built for this platform at $out." >&2
exit 1
