#!/usr/bin/env bash
# Installs the pinned tools that scripts/e2e.sh uses into .bin/ at the repository root
# (git-ignored): helm3, helm4, kustomize and crane, each built with `go install` from its
# module.
# A tool already in .bin/ that was built from the same module version, Go version and
# ldflags is kept, so a second run takes well under a second. Needs Go 1.26 and the Go
# module proxy (or a module cache that already holds the modules).
#
# Usage: scripts/tools.sh [helm3|helm4|kustomize|crane ...]   (no argument: all four)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/.bin"

HELM3_VERSION=v3.22.0
HELM4_VERSION=v4.3.1
# v5.8.3 declares go 1.27.0; v5.8.2 is the newest v5.8 patch that builds with Go 1.26.
KUSTOMIZE_VERSION=v5.8.2
# crane builds the Argo CD sidecar image without a container daemon (scripts/image.sh).
CRANE_VERSION=v0.22.1

log() { printf 'tools.sh: %s\n' "$*" >&2; }

# A go-installed Helm 3 falls back to Kubernetes v1.20 for .Capabilities.KubeVersion (and
# for its deprecation lint) unless these variables are set, as Helm's Makefile does from
# the client-go it builds with (v0.37 -> 1.37). Helm 4 reads the client-go version from
# the binary's build info instead, so it needs only the version variables.
helm3_ldflags="-s -w"
helm3_ldflags+=" -X helm.sh/helm/v3/internal/version.version=$HELM3_VERSION"
helm3_ldflags+=" -X helm.sh/helm/v3/internal/version.metadata="
helm3_ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
helm3_ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1"
helm3_ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37"
helm3_ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1"
helm3_ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37"

helm4_ldflags="-s -w"
helm4_ldflags+=" -X helm.sh/helm/v4/internal/version.version=$HELM4_VERSION"
helm4_ldflags+=" -X helm.sh/helm/v4/internal/version.metadata="
helm4_ldflags+=" -X helm.sh/helm/v4/internal/version.gitTreeState=clean"

kustomize_ldflags="-s -w"
crane_ldflags="-s -w"

# current NAME MODULE VERSION STAMP: true when .bin/NAME is a Go binary built from
# MODULE@VERSION and its stamp file records the same build (go install -trimpath keeps
# -ldflags out of the binary's build info, so the stamp carries them).
current() {
	local name=$1 module=$2 version=$3 stamp=$4
	[ -x "$bin/$name" ] && [ -f "$bin/.$name.stamp" ] || return 1
	[ "$(cat "$bin/.$name.stamp")" = "$stamp" ] || return 1
	go version -m "$bin/$name" 2>/dev/null | grep -qF "$(printf '\tmod\t%s\t%s\t' "$module" "$version")"
}

# install_tool NAME MODULE PACKAGE VERSION LDFLAGS
install_tool() {
	local name=$1 module=$2 pkg=$3 version=$4 ldflags=$5 start stamp exe
	stamp="$pkg@$version $(go env GOVERSION) -ldflags=$ldflags"
	if current "$name" "$module" "$version" "$stamp"; then
		log "$name: $module $version already in .bin/$name"
		return 0
	fi
	log "$name: go install $pkg@$version -> .bin/$name"
	mkdir -p "$bin"
	# Built into a temporary GOBIN beside .bin/NAME and renamed over it, so an interrupted
	# build never leaves a half-written tool behind.
	tmp=$(mktemp -d "$bin/.install.XXXXXX")
	start=$SECONDS
	GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath -ldflags "$ldflags" "$pkg@$version" ||
		{ log "$name: go install $pkg@$version failed"; return 1; }
	# go install names the binary after the last path element, a /vN suffix skipped.
	exe=${pkg##*/}
	[[ $exe =~ ^v[0-9]+$ ]] && exe=$(basename "$(dirname "$pkg")")
	mv -f "$tmp/$exe" "$bin/$name"
	printf '%s\n' "$stamp" >"$bin/.$name.stamp"
	rm -rf "$tmp"
	tmp=
	log "$name: built in $((SECONDS - start))s"
}

tmp=
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT

command -v go >/dev/null || { log "go is not on PATH; Go 1.26 is needed to build the tools"; exit 1; }

tools=("$@")
[ ${#tools[@]} -gt 0 ] || tools=(helm3 helm4 kustomize crane)
for t in "${tools[@]}"; do
	case $t in
	helm3) install_tool helm3 helm.sh/helm/v3 helm.sh/helm/v3/cmd/helm "$HELM3_VERSION" "$helm3_ldflags" ;;
	helm4) install_tool helm4 helm.sh/helm/v4 helm.sh/helm/v4/cmd/helm "$HELM4_VERSION" "$helm4_ldflags" ;;
	kustomize) install_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION" "$kustomize_ldflags" ;;
	crane) install_tool crane github.com/google/go-containerregistry github.com/google/go-containerregistry/cmd/crane "$CRANE_VERSION" "$crane_ldflags" ;;
	*) log "unknown tool $t (want helm3, helm4, kustomize or crane)"; exit 2 ;;
	esac
done
