#!/usr/bin/env bash
# End to end with real, pinned Helm binaries (scripts/tools.sh) and the fixture chart
# fixtures/charts/controller:
#
#   helm3-post-renderer   helm3 template --post-renderer .bin/helm-netpol
#   helm3-plugin          helm3 plugin install . ; helm3 netpol --help
#   helm4-post-renderer   helm4 plugin install plugins/netpol-postrender ;
#                         helm4 template --post-renderer netpol-postrender (hook Job on)
#   helm4-bad-config      a bad engine: helm4 fails and --log-file names it
#
# Each Helm major version gets its own temporary HELM_CACHE_HOME, HELM_CONFIG_HOME,
# HELM_DATA_HOME and HELM_PLUGINS: the user's Helm setup is never read or written, and
# Helm 3 never sees the Helm 4 post-renderer plugin (its manifest would break Helm 3's
# plugin loading). Prints `ok <step>` or `FAIL <step>: <reason>` per step, then
# `N passed, M failed`; exits non-zero when any step failed.
#
# Usage: scripts/e2e.sh        (set KEEP=1 to keep the temporary folder for a look)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
chart=fixtures/charts/controller

# Nothing of the caller's Helm setup may leak in (HELM_NAMESPACE, HELM_DEBUG, ...).
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep '^HELM_' || true)

work=$(mktemp -d "${TMPDIR:-/tmp}/helm-netpol-e2e.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then
	echo "e2e: keeping $work" >&2
else
	trap 'rm -rf "$work"' EXIT
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
summary() { echo "$passed passed, $failed failed"; }

# helm3 / helm4 run the pinned binaries with homes of their own under $work.
helm_as() {
	local major=$1
	shift
	HELM_CACHE_HOME="$work/helm$major/cache" \
		HELM_CONFIG_HOME="$work/helm$major/config" \
		HELM_DATA_HOME="$work/helm$major/data" \
		HELM_PLUGINS="$work/helm$major/data/plugins" \
		"$root/.bin/helm$major" "$@"
}
helm3() { helm_as 3 "$@"; }
helm4() { helm_as 4 "$@"; }

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
		'helm-netpol\.io/generated-for: "?apps/v1/Deployment/rel-controller"?$' ||
		{ echo "no NetworkPolicy annotated helm-netpol.io/generated-for: apps/v1/Deployment/rel-controller"; return 1; }
	doc_with "$out" '^kind: NetworkPolicy$' 'kubernetes\.io/metadata\.name: "?monitoring"?$' ||
		{ echo "the NetworkPolicy does not carry metrics.from (namespace monitoring) from the config"; return 1; }
	doc_with "$out" '^kind: Deployment$' '^  name: rel-controller$' ||
		{ echo "the chart's Deployment rel-controller is missing"; return 1; }
	if grep -q 'helm-netpol\.io/config' "$out"; then
		echo "the helm-netpol.io/config annotation was left in the output"
		return 1
	fi
}

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
	local log="$work/helm4-plugin-install.log" out="$work/helm4-template.yaml" err="$work/helm4-template.err"
	local netpol_log="$work/helm4-template.netpol.log"
	# A local directory installs in development mode (a symlink, no signature check); its
	# install hook builds plugins/netpol-postrender/bin/helm-netpol from the checkout.
	helm4 plugin install plugins/netpol-postrender >"$log" 2>&1 ||
		{ echo "helm4 plugin install plugins/netpol-postrender exited $?: $(tail_of "$log")"; return 1; }
	helm4 plugin list 2>&1 | grep -q '^netpol-postrender[[:space:]].*postrenderer/v1' ||
		{ echo "helm4 plugin list does not show netpol-postrender as postrenderer/v1"; return 1; }
	# Helm 4 drops the post-renderer's stderr: the log file is where a failure says why.
	helm4 template rel "$chart" -n ctrl-system -f "$chart/values-netpol.yaml" --set hookJob.enabled=true \
		--post-renderer netpol-postrender --post-renderer-args "--log-file=$netpol_log" >"$out" 2>"$err" ||
		{ echo "helm4 template exited $?: $(tail_of "$err") helm-netpol said: $(tail_of "$netpol_log" 2>/dev/null)"; return 1; }
	check_rendered "$out" || return 1
	# Helm 4 shows hooks to the post-renderer; the hook Job must still come out as a hook.
	doc_with "$out" '^kind: Job$' 'helm\.sh/hook: pre-install' ||
		{ echo "the pre-install hook Job is missing"; return 1; }
	if grep -q 'postrenderer\.helm\.sh/postrender-filename' "$out"; then
		echo "Helm's postrender-filename annotation leaked into the output"
		return 1
	fi
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

# run_step NAME FUNCTION
run_step() {
	local reason
	if reason=$("$2"); then ok "$1"; else fail "$1" "${reason:-exited non-zero}"; fi
}

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

summary
[ "$failed" -eq 0 ]
