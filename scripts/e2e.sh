#!/usr/bin/env bash
# End to end with real, pinned Helm and kustomize binaries (scripts/tools.sh) and the
# fixture chart fixtures/charts/controller:
#
#   helm3-post-renderer        helm3 template --post-renderer .bin/helm-netpol
#   helm3-plugin               helm3 plugin install . ; helm3 netpol --help
#   helm4-post-renderer        helm4 plugin install plugins/netpol-postrender ;
#                              helm4 template --post-renderer netpol-postrender (hook Job on)
#   helm4-bad-config           a bad engine: helm4 fails and --log-file names it
#   kustomize-krm              kustomize build --enable-alpha-plugins --enable-exec with
#                              .bin/helm-netpol as an exec KRM function (transformers:)
#   policies                   helm3 template | helm-netpol policies: only the policies
#   flux-patches               helm3 template | helm-netpol flux-patches, applied with
#                              kustomize the way Flux's helm-controller applies them
#   helm4-install-postrenderer helm4 plugin install . ; helm4 netpol install-postrenderer ;
#                              helm4 template --post-renderer netpol-postrender
#   helm4-plugin-tarball       scripts/package-plugin.sh ; helm4 plugin install
#                              dist/netpol-postrender-<version>.tgz (refused without a
#                              .prov, installed with --verify=false) ; helm4 template
#   helm4-plugin-signed        (needs gpg) a throwaway key signs the tarball; helm4 plugin
#                              verify, then helm4 plugin install with verification on
#   argocd-*                   the Argo CD Config Management Plugin and its sidecar image
#                              (scripts/e2e-argocd.sh)
#   release-*                  scripts/release.sh --snapshot, served from 127.0.0.1 and
#                              installed by helm3 and helm4 with Go off PATH; the tampered,
#                              404, unsupported-platform and no-curl-no-wget failures; a
#                              local release folder; HELM_NETPOL_INSTALL (each step:
#                              scripts/e2e-release.sh)
#
# Each Helm installation gets its own temporary HELM_CACHE_HOME, HELM_CONFIG_HOME,
# HELM_DATA_HOME and HELM_PLUGINS: the user's Helm setup is never read or written, Helm 3
# never sees a Helm 4 post-renderer plugin (its manifest would break Helm 3's plugin
# loading), and the Helm 4 ways of installing netpol-postrender never meet. Prints
# `ok <step>`, `FAIL <step>: <reason>` or `skip <step>: <reason>` per step, then
# `N passed, M failed`; exits non-zero when any step failed.
#
# Writes outside its temporary folder only what the steps build: .bin/helm-netpol,
# bin/helm-netpol and plugins/netpol-postrender/bin/helm-netpol (the plugin install
# hooks) and dist/netpol-postrender-<version>.tgz, all git-ignored.
#
# Usage: scripts/e2e.sh        (set KEEP=1 to keep the temporary folder for a look)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd -P)
chart=fixtures/charts/controller

# Nothing of the caller's Helm setup may leak in (HELM_NAMESPACE, HELM_DEBUG, ...).
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep '^HELM_' || true)

work=$(mktemp -d "${TMPDIR:-/tmp}/helm-netpol-e2e.XXXXXX")
# stop_gpg_agent: the helm4-plugin-signed step starts a gpg-agent for its throwaway
# GNUPGHOME; end that agent, by its pid, and no other.
stop_gpg_agent() {
	local pid
	[ -d "$work/gnupg" ] && command -v gpg-connect-agent >/dev/null || return 0
	pid=$(gpg-connect-agent --homedir "$work/gnupg" --no-autostart 'getinfo pid' /bye 2>/dev/null | sed -n 's/^D //p')
	[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
}
if [ "${KEEP:-}" = 1 ]; then
	echo "e2e: keeping $work" >&2
	trap stop_gpg_agent EXIT
else
	trap 'stop_gpg_agent; rm -rf "$work"' EXIT
fi

passed=0
failed=0
ok() {
	echo "ok $1"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}
skip() { echo "skip $1: $2"; }
summary() { echo "$passed passed, $failed failed"; }

# helm_in HOME MAJOR ARGS...: the pinned Helm MAJOR with a Helm home of its own, $work/HOME.
helm_in() {
	local home=$work/$1 major=$2
	shift 2
	HELM_CACHE_HOME="$home/cache" \
		HELM_CONFIG_HOME="$home/config" \
		HELM_DATA_HOME="$home/data" \
		HELM_PLUGINS="$home/data/plugins" \
		"$root/.bin/helm$major" "$@"
}
helm3() { helm_in helm3 3 "$@"; }
helm4() { helm_in helm4 4 "$@"; }

# tail_of FILE: the end of a log, on one line, for a FAIL reason.
tail_of() { tail -c 600 "$1" | tr '\n' ' '; }

# doc_with FILE ERE...: true when one YAML document of FILE matches every pattern.
doc_with() {
	local file=$1
	shift
	# Patterns go through the environment: awk -v would eat their backslashes.
	PATTERNS="$(printf '%s\n' "$@")" awk -v n=$# '
		BEGIN { split(ENVIRON["PATTERNS"], p, "\n") }
		function check() { for (i = 1; i <= n; i++) if (!seen[i]) return; found = 1 }
		/^---/ { check(); delete seen; next }
		{ for (i = 1; i <= n; i++) if ($0 ~ p[i]) seen[i] = 1 }
		END { check(); exit !found }
	' "$file"
}

# check_rendered FILE: what every successful render must hold. Prints the first problem.
check_rendered() {
	local out=$1
	doc_with "$out" '^kind: NetworkPolicy$' '^apiVersion: networking\.k8s\.io/v1$' \
		'helm-netpol\.io/generated-for: "?apps/v1/Deployment/ctrl-system/rel-controller"?$' ||
		{ echo "no NetworkPolicy annotated helm-netpol.io/generated-for: apps/v1/Deployment/ctrl-system/rel-controller"; return 1; }
	doc_with "$out" '^kind: NetworkPolicy$' 'kubernetes\.io/metadata\.name: "?monitoring"?$' ||
		{ echo "the NetworkPolicy does not carry metrics.from (namespace monitoring) from the config"; return 1; }
	doc_with "$out" '^kind: Deployment$' '^  name: rel-controller$' ||
		{ echo "the chart's Deployment rel-controller is missing"; return 1; }
	if grep -q 'helm-netpol\.io/config' "$out"; then
		echo "the helm-netpol.io/config annotation was left in the output"
		return 1
	fi
}

# check_helm4_rendered FILE: what a Helm 4 render with the hook Job on must hold besides.
check_helm4_rendered() {
	local out=$1
	check_rendered "$out" || return 1
	# Helm 4 shows hooks to the post-renderer; the hook Job must still come out as a hook,
	# and its own policy as a hook too.
	doc_with "$out" '^kind: Job$' 'helm\.sh/hook: pre-install' ||
		{ echo "the pre-install hook Job is missing"; return 1; }
	doc_with "$out" '^kind: NetworkPolicy$' 'helm-netpol\.io/generated-for: "?batch/v1/Job/ctrl-system/rel-controller-preflight"?$' \
		'helm\.sh/hook: "?pre-install"?$' ||
		{ echo "no pre-install hook NetworkPolicy for the hook Job rel-controller-preflight"; return 1; }
	if grep -q 'postrenderer\.helm\.sh/postrender-filename' "$out"; then
		echo "Helm's postrender-filename annotation leaked into the output"
		return 1
	fi
}

# helm4_template_with HOME OUT: helm4 template (hook Job on) with the netpol-postrender
# plugin of Helm home HOME, checked.
helm4_template_with() {
	local home=$1 out=$2 log="$2.netpol.log"
	helm_in "$home" 4 template rel "$chart" -n ctrl-system -f "$chart/values-netpol.yaml" --set hookJob.enabled=true \
		--post-renderer netpol-postrender --post-renderer-args "--log-file=$log" >"$out" 2>"$out.err" ||
		{ echo "helm4 template exited $?: $(tail_of "$out.err") helm-netpol said: $(tail_of "$log" 2>/dev/null)"; return 1; }
	check_helm4_rendered "$out"
}

# plain_render OUT: the fixture chart through helm3 template, without a post-renderer.
plain_render() {
	helm3 template rel "$chart" -n ctrl-system -f "$chart/values-netpol.yaml" >"$1" 2>"$1.err" ||
		{ echo "helm3 template exited $?: $(tail_of "$1.err")"; return 1; }
}

# plugin_version: the version in plugins/netpol-postrender/plugin.yaml.
plugin_version() { sed -n 's/^version:[[:space:]]*//p' plugins/netpol-postrender/plugin.yaml; }

# The Argo CD steps.
source scripts/e2e-argocd.sh

# Steps print their failure reason on stdout and return non-zero. They run inside
# `if`, where set -e does not apply, so every command is checked explicitly.

step_helm3_post_renderer() {
	local out="$work/helm3-template.yaml" err="$work/helm3-template.err"
	helm3 template rel "$chart" -n ctrl-system -f "$chart/values-netpol.yaml" \
		--post-renderer .bin/helm-netpol >"$out" 2>"$err" ||
		{ echo "helm3 template exited $?: $(tail_of "$err")"; return 1; }
	check_rendered "$out"
}

step_helm3_plugin() {
	local log="$work/helm3-plugin-install.log" out="$work/helm3-netpol-help.txt"
	# The install hook (scripts/install-plugin.sh) builds bin/helm-netpol in the checkout.
	helm3 plugin install . >"$log" 2>&1 ||
		{ echo "helm3 plugin install . exited $?: $(tail_of "$log")"; return 1; }
	helm3 plugin list 2>&1 | grep -q '^netpol[[:space:]]' ||
		{ echo "helm3 plugin list does not show netpol"; return 1; }
	helm3 netpol --help >"$out" 2>&1 ||
		{ echo "helm3 netpol --help exited $?: $(tail_of "$out")"; return 1; }
	grep -qi 'usage' "$out" ||
		{ echo "helm3 netpol --help printed no usage: $(tail_of "$out")"; return 1; }
}

step_helm4_post_renderer() {
	local log="$work/helm4-plugin-install.log"
	# A local directory installs in development mode (a symlink, no signature check); its
	# install hook builds plugins/netpol-postrender/bin/helm-netpol from the checkout.
	helm4 plugin install plugins/netpol-postrender >"$log" 2>&1 ||
		{ echo "helm4 plugin install plugins/netpol-postrender exited $?: $(tail_of "$log")"; return 1; }
	helm4 plugin list 2>&1 | grep -q '^netpol-postrender[[:space:]].*postrenderer/v1' ||
		{ echo "helm4 plugin list does not show netpol-postrender as postrenderer/v1"; return 1; }
	# Helm 4 drops the post-renderer's stderr: the log file is where a failure says why.
	helm4_template_with helm4 "$work/helm4-template.yaml"
}

step_helm4_bad_config() {
	local out="$work/helm4-bad.yaml" err="$work/helm4-bad.err" log="$work/netpol.log"
	# Helm 4 discards the post-renderer's stderr, so the reason must be in the log file.
	# (--set-string splits on commas: the one inside the flow map is escaped.)
	if helm4 template rel "$chart" -n ctrl-system \
		--set-string 'podAnnotations.helm-netpol\.io/config=networkPolicy: {enabled: true\, engine: calcio}' \
		--post-renderer netpol-postrender --post-renderer-args "--log-file=$log" >"$out" 2>"$err"; then
		echo "helm4 template succeeded with engine calcio"
		return 1
	fi
	[ -f "$log" ] ||
		{ echo "no log file at --log-file; helm said: $(tail_of "$err")"; return 1; }
	grep -q 'calcio' "$log" ||
		{ echo "the log file does not name calcio: $(tail_of "$log")"; return 1; }
	if grep -q '^kind:' "$out"; then
		echo "helm4 printed manifests although the post-renderer failed"
		return 1
	fi
}

step_kustomize_krm() {
	local dir="$work/kustomize-krm" out="$work/kustomize-krm.yaml" err="$work/kustomize-krm.err"
	mkdir -p "$dir"
	cat >"$dir/deployment.yaml" <<-'EOF'
		apiVersion: apps/v1
		kind: Deployment
		metadata:
		  name: web
		  namespace: shop
		  labels: {app.kubernetes.io/instance: web}
		spec:
		  selector:
		    matchLabels: {app.kubernetes.io/name: web}
		  template:
		    metadata:
		      labels: {app.kubernetes.io/name: web, app.kubernetes.io/instance: web}
		    spec:
		      containers:
		      - name: web
		        image: nginx
		        ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]
	EOF
	# The function config: any kind; its helm-netpol.io/config annotation is release-wide.
	cat >"$dir/helm-netpol.yaml" <<-EOF
		apiVersion: v1
		kind: ConfigMap
		metadata:
		  name: helm-netpol
		  annotations:
		    config.kubernetes.io/function: |
		      exec:
		        path: $root/.bin/helm-netpol
		    helm-netpol.io/config: |
		      networkPolicy: {enabled: true}
	EOF
	cat >"$dir/kustomization.yaml" <<-'EOF'
		apiVersion: kustomize.config.k8s.io/v1beta1
		kind: Kustomization
		resources: [deployment.yaml]
		transformers: [helm-netpol.yaml]
	EOF
	"$root/.bin/kustomize" build --enable-alpha-plugins --enable-exec "$dir" >"$out" 2>"$err" ||
		{ echo "kustomize build exited $?: $(tail_of "$err")"; return 1; }
	doc_with "$out" '^kind: NetworkPolicy$' '^apiVersion: networking\.k8s\.io/v1$' \
		'helm-netpol\.io/generated-for: "?apps/v1/Deployment/shop/web"?$' '^  namespace: shop$' ||
		{ echo "no NetworkPolicy for apps/v1/Deployment/web in namespace shop: $(tail_of "$out")"; return 1; }
	{ doc_with "$out" '^kind: NetworkPolicy$' 'port: 8080$' && doc_with "$out" '^kind: NetworkPolicy$' 'port: 9090$'; } ||
		{ echo "the NetworkPolicy does not open the Deployment's ports 8080 and 9090: $(tail_of "$out")"; return 1; }
	doc_with "$out" '^kind: Deployment$' '^  name: web$' ||
		{ echo "the Deployment web is missing: $(tail_of "$out")"; return 1; }
	local leak
	for leak in 'config\.kubernetes\.io/index' 'internal\.config\.kubernetes\.io' 'config\.kubernetes\.io/function' \
		'helm-netpol\.io/config' '^kind: ResourceList$'; do
		if grep -Eq "$leak" "$out"; then
			echo "$leak leaked into the kustomize output: $(grep -E "$leak" "$out" | head -3 | tr '\n' ' ')"
			return 1
		fi
	done
}

step_policies() {
	local plain="$work/policies-input.yaml" out="$work/policies.yaml" err="$work/policies.err"
	plain_render "$plain" || return 1
	"$root/.bin/helm-netpol" policies <"$plain" >"$out" 2>"$err" ||
		{ echo "helm-netpol policies exited $?: $(tail_of "$err")"; return 1; }
	local kinds policies
	kinds=$(grep -c '^kind:' "$out" || true)
	policies=$(grep -c '^kind: NetworkPolicy$' "$out" || true)
	{ [ "$kinds" -ge 1 ] && [ "$kinds" = "$policies" ]; } ||
		{ echo "want only NetworkPolicies, got: $(grep '^kind:' "$out" | sort | uniq -c | tr '\n' ' ')"; return 1; }
	doc_with "$out" '^kind: NetworkPolicy$' 'helm-netpol\.io/generated-for: "?apps/v1/Deployment/ctrl-system/rel-controller"?$' \
		'kubernetes\.io/metadata\.name: "?monitoring"?$' ||
		{ echo "no NetworkPolicy for apps/v1/Deployment/rel-controller with metrics.from: $(tail_of "$out")"; return 1; }
	# Each policy must be generated, not one of the chart's passed through.
	local generated
	generated=$(grep -c 'helm-netpol\.io/generated-for:' "$out" || true)
	[ "$generated" = "$policies" ] ||
		{ echo "$policies NetworkPolicies but $generated carry helm-netpol.io/generated-for"; return 1; }
	if grep -Eq 'helm-netpol\.io/config|^# Source: controller/' "$out"; then
		echo "policies printed chart documents or the config annotation: $(tail_of "$out")"
		return 1
	fi
}

step_flux_patches() {
	local plain="$work/flux-input.yaml" out="$work/flux-patches.yaml" err="$work/flux-patches.err"
	local dir="$work/flux-kustomize" built="$work/flux-kustomized.yaml"
	plain_render "$plain" || return 1
	"$root/.bin/helm-netpol" flux-patches <"$plain" >"$out" 2>"$err" ||
		{ echo "helm-netpol flux-patches exited $?: $(tail_of "$err")"; return 1; }
	{ grep -q '^postRenderers:$' "$out" && grep -q '^- kustomize:$' "$out"; } ||
		{ echo "no HelmRelease postRenderers/kustomize block: $(tail_of "$out")"; return 1; }
	doc_with "$out" 'op: remove$' 'path: /spec/template/metadata/annotations/helm-netpol\.io~1config$' \
		'kind: Deployment$' 'name: rel-controller$' ||
		{ echo "no patch removing the config annotation from Deployment rel-controller: $(tail_of "$out")"; return 1; }
	# Parse and apply it the way helm-controller does: its kustomize post-renderer puts the
	# rendered chart in a kustomization as a resource, next to these patches.
	mkdir -p "$dir"
	cp "$plain" "$dir/helm-output.yaml"
	{
		echo 'apiVersion: kustomize.config.k8s.io/v1beta1'
		echo 'kind: Kustomization'
		echo 'resources: [helm-output.yaml]'
		sed -n '/^    patches:$/,$p' "$out" | sed 's/^    //'
	} >"$dir/kustomization.yaml"
	grep -q '^patches:$' "$dir/kustomization.yaml" ||
		{ echo "no patches list under postRenderers[0].kustomize: $(tail_of "$out")"; return 1; }
	"$root/.bin/kustomize" build "$dir" >"$built" 2>"$err" ||
		{ echo "kustomize build with the patches exited $?: $(tail_of "$err")"; return 1; }
	doc_with "$built" '^kind: Deployment$' '^  name: rel-controller$' ||
		{ echo "the Deployment rel-controller is missing after the patches"; return 1; }
	if grep -q 'helm-netpol\.io/config' "$built"; then
		echo "the config annotation is still there after the patches: $(grep -n 'helm-netpol\.io/config' "$built" | tr '\n' ' ')"
		return 1
	fi
}

step_helm4_install_postrenderer() {
	local home=helm4-cli log="$work/helm4-cli-install.log" out="$work/helm4-install-postrenderer.txt"
	local plugins="$work/helm4-cli/data/plugins" manifest
	# The root (legacy) plugin.yaml is the CLI plugin `netpol`; its install hook builds
	# bin/helm-netpol in the checkout.
	helm_in "$home" 4 plugin install . >"$log" 2>&1 ||
		{ echo "helm4 plugin install . exited $?: $(tail_of "$log")"; return 1; }
	grep -q 'Installed plugin: netpol$' "$log" ||
		{ echo "helm4 plugin install . did not install netpol: $(tail_of "$log")"; return 1; }
	helm_in "$home" 4 netpol install-postrenderer >"$out" 2>&1 ||
		{ echo "helm4 netpol install-postrenderer exited $?: $(tail_of "$out")"; return 1; }
	grep -qF "netpol-postrender in $plugins/netpol-postrender (it runs $root/bin/helm-netpol)" "$out" ||
		{ echo "install-postrenderer did not say it wrote $plugins/netpol-postrender for $root/bin/helm-netpol: $(tail_of "$out")"; return 1; }
	manifest="$plugins/netpol-postrender/plugin.yaml"
	{ [ -f "$manifest" ] && [ ! -L "$plugins/netpol-postrender" ]; } ||
		{ echo "no plugin folder with a plugin.yaml at $plugins/netpol-postrender"; return 1; }
	{ grep -q '^type: postrenderer/v1$' "$manifest" && grep -qF "command: $root/bin/helm-netpol" "$manifest"; } ||
		{ echo "$manifest is not a postrenderer/v1 plugin running $root/bin/helm-netpol: $(tail_of "$manifest")"; return 1; }
	local list
	list=$(helm_in "$home" 4 plugin list 2>&1)
	{ grep -q '^netpol[[:space:]].*cli/v1' <<<"$list" && grep -q '^netpol-postrender[[:space:]].*postrenderer/v1' <<<"$list"; } ||
		{ echo "helm4 plugin list does not show netpol (cli/v1) and netpol-postrender (postrenderer/v1): $(tr '\n' ' ' <<<"$list")"; return 1; }
	helm4_template_with "$home" "$work/helm4-cli-template.yaml"
}

step_helm4_plugin_tarball() {
	local home=helm4-tgz log="$work/package-plugin.log" version tgz plugin list
	version=$(plugin_version)
	tgz=$(scripts/package-plugin.sh 2>"$log") ||
		{ echo "scripts/package-plugin.sh failed: $(tail_of "$log")"; return 1; }
	{ [ "$tgz" = "dist/netpol-postrender-$version.tgz" ] && [ -f "$tgz" ]; } ||
		{ echo "scripts/package-plugin.sh printed \"$tgz\", want an existing dist/netpol-postrender-$version.tgz"; return 1; }
	# Helm 4 verifies tarballs by default: an unsigned one is refused, and nothing is installed.
	if helm_in "$home" 4 plugin install "$tgz" >"$work/tgz-verify.log" 2>&1; then
		echo "helm4 plugin install $tgz succeeded without a .prov and without --verify=false"
		return 1
	fi
	grep -q 'no provenance file' "$work/tgz-verify.log" ||
		{ echo "the refusal does not name the missing provenance file: $(tail_of "$work/tgz-verify.log")"; return 1; }
	helm_in "$home" 4 plugin install "$tgz" --verify=false >"$work/tgz-install.log" 2>&1 ||
		{ echo "helm4 plugin install $tgz --verify=false exited $?: $(tail_of "$work/tgz-install.log")"; return 1; }
	plugin="$work/$home/data/plugins/netpol-postrender"
	{ [ -d "$plugin" ] && [ ! -L "$plugin" ] && [ -x "$plugin/bin/helm-netpol" ]; } ||
		{ echo "no extracted plugin with an executable bin/helm-netpol at $plugin"; return 1; }
	"$plugin/bin/helm-netpol" version 2>&1 | grep -q "^helm-netpol $version " ||
		{ echo "the packaged binary does not say version $version: $("$plugin/bin/helm-netpol" version 2>&1)"; return 1; }
	list=$(helm_in "$home" 4 plugin list 2>&1)
	grep -Eq "^netpol-postrender[[:space:]]+${version}[[:space:]]+postrenderer/v1[[:space:]].*unsigned" <<<"$list" ||
		{ echo "helm4 plugin list does not show netpol-postrender $version postrenderer/v1 unsigned: $(tr '\n' ' ' <<<"$list")"; return 1; }
	helm4_template_with "$home" "$work/helm4-tgz-template.yaml"
}

step_helm4_plugin_signed() {
	local home=helm4-signed gnupg="$work/gnupg" dest="$work/signed" log="$work/signed.log" version out
	version=$(plugin_version)
	mkdir -m 700 "$gnupg"
	# A throwaway RSA key without passphrase; Helm reads legacy keyrings, so both halves
	# are exported to files.
	{
		GNUPGHOME=$gnupg gpg --batch --pinentry-mode loopback --passphrase '' \
			--quick-gen-key 'helm-netpol e2e <e2e@helm-netpol.invalid>' rsa2048 sign never >"$log" 2>&1 &&
			GNUPGHOME=$gnupg gpg --batch --export >"$gnupg/pubring.gpg" 2>>"$log" &&
			GNUPGHOME=$gnupg gpg --batch --pinentry-mode loopback --passphrase '' --export-secret-keys >"$gnupg/secring.gpg" 2>>"$log"
	} ||
		{ echo "gpg could not make a key: $(tail_of "$log")"; return 1; }
	out=$(scripts/package-plugin.sh --destination "$dest" --key 'helm-netpol e2e' --keyring "$gnupg/secring.gpg" 2>>"$log") ||
		{ echo "scripts/package-plugin.sh --key failed: $(tail_of "$log")"; return 1; }
	local tgz="$dest/netpol-postrender-$version.tgz"
	{ [ "$out" = "$tgz"$'\n'"$tgz.prov" ] && [ -f "$tgz.prov" ]; } ||
		{ echo "scripts/package-plugin.sh --key printed \"$out\", want $tgz and $tgz.prov"; return 1; }
	{
		helm_in "$home" 4 plugin verify "$tgz" --keyring "$gnupg/pubring.gpg" >"$work/signed-verify.log" 2>&1 &&
			grep -q '^Plugin Hash Verified: sha256:' "$work/signed-verify.log"
	} ||
		{ echo "helm4 plugin verify failed: $(tail_of "$work/signed-verify.log")"; return 1; }
	# Another key's keyring must not verify it.
	: >"$work/empty.gpg"
	if helm_in "$home" 4 plugin verify "$tgz" --keyring "$work/empty.gpg" >"$work/signed-verify-bad.log" 2>&1; then
		echo "helm4 plugin verify succeeded with an empty keyring"
		return 1
	fi
	helm_in "$home" 4 plugin install "$tgz" --keyring "$gnupg/pubring.gpg" >"$work/signed-install.log" 2>&1 ||
		{ echo "helm4 plugin install (verifying) exited $?: $(tail_of "$work/signed-install.log")"; return 1; }
	grep -q '^Plugin Hash Verified: sha256:' "$work/signed-install.log" ||
		{ echo "helm4 plugin install did not verify the signature: $(tail_of "$work/signed-install.log")"; return 1; }
	helm_in "$home" 4 plugin list 2>&1 | grep -Eq "^netpol-postrender[[:space:]]+${version}[[:space:]]+postrenderer/v1[[:space:]].*[[:space:]]signed[[:space:]]" ||
		{ echo "helm4 plugin list does not show netpol-postrender as signed"; return 1; }
	helm4_template_with "$home" "$work/helm4-signed-template.yaml"
}

# run_step NAME FUNCTION
run_step() {
	local reason
	if reason=$("$2"); then ok "$1"; else fail "$1" "${reason:-exited non-zero}"; fi
}

# shellcheck source=scripts/e2e-release.sh
. scripts/e2e-release.sh

# Setup: without the tools or the product there is nothing to test.
if ! scripts/tools.sh helm3 helm4 kustomize 2>"$work/tools.log"; then
	fail setup "scripts/tools.sh failed: $(tail_of "$work/tools.log")"
	summary
	exit 1
fi
if ! go build -o .bin/helm-netpol . 2>"$work/build.log"; then
	fail setup "go build -o .bin/helm-netpol . failed: $(tail_of "$work/build.log")"
	summary
	exit 1
fi

run_step helm3-post-renderer step_helm3_post_renderer
run_step helm3-plugin step_helm3_plugin
run_step helm4-post-renderer step_helm4_post_renderer
run_step helm4-bad-config step_helm4_bad_config
run_step kustomize-krm step_kustomize_krm
run_step policies step_policies
run_step flux-patches step_flux_patches
run_step helm4-install-postrenderer step_helm4_install_postrenderer
run_step helm4-plugin-tarball step_helm4_plugin_tarball
if command -v gpg >/dev/null; then
	run_step helm4-plugin-signed step_helm4_plugin_signed
	stop_gpg_agent
else
	skip helm4-plugin-signed "gpg is not on PATH"
fi
argocd_steps
run_step release-snapshot step_release_snapshot
run_step release-helm3-install step_release_helm3_install
run_step release-helm4-install step_release_helm4_install
run_step release-plugin-tarballs step_release_plugin_tarballs
run_step release-tampered step_release_tampered
run_step release-download-fails step_release_download_fails
run_step release-unsupported-platform step_release_unsupported_platform
run_step release-no-downloader step_release_no_downloader
run_step release-local-folder step_release_local_folder
run_step release-install-modes step_release_install_modes

summary
[ "$failed" -eq 0 ]
