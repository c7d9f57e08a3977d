# Steps of scripts/e2e.sh for the Argo CD Config Management Plugin (argocd/plugin.yaml,
# docs/argocd.md); e2e.sh sources this file and calls argocd_steps. Each step runs the
# plugin's init and generate commands, read from the plugin.yaml, the way argocd-cmp-server
# runs them: directly (no shell), in the Application's source folder of a copy of the
# repository, with a clean environment holding the sidecar's variables, then the request's
# (ARGOCD_APP_NAME, ARGOCD_APP_NAMESPACE, ARGOCD_APP_SOURCE_PATH, KUBE_VERSION,
# KUBE_API_VERSIONS, ARGOCD_APP_PARAMETERS, ARGOCD_ENV_*); generate only when init
# succeeded. The repository holds the fixture chart at charts/controller and
# fixtures/argocd/values-netpol.yaml at argocd/values-netpol.yaml.
#
#   argocd-generate           parameters engine=cilium, default-deny, values-files: the chart,
#                             its CiliumNetworkPolicies (the pre-install hook Job's as a hook)
#                             and the default deny
#   argocd-env                the same settings as plugin env ARGOCD_ENV_NETPOL_*: calico
#   argocd-bad-parameter      a bad engine, an unknown parameter, a non-boolean, a bad config
#                             key, a values file outside the repository, a KUBE_VERSION the
#                             chart refuses: non-zero, nothing on stdout, the reason on stderr
#   argocd-init-dependencies  an umbrella chart with a file:// dependency: init builds it,
#                             generate covers the subchart's workload
#   argocd-sidecar-patch      argocd/repo-server-patch.yaml applied with kustomize to the parts
#                             of the stock argocd-repo-server it meets: the sidecar, its
#                             mounts and the cmp-tmp volume added, nothing of the stock lost
#   argocd-image              scripts/image.sh twice (same digest), unpacked with crane export:
#                             the files, the config, no shell; the unpacked plugin.yaml's
#                             commands run with only the unpacked /usr/local/bin on PATH
#   argocd-image-root         (root, unshare) the same inside the unpacked root file system as
#                             uid 999, without /proc, /dev or /etc
#
# Uses e2e.sh's $root, $work, $chart, doc_with and tail_of. Steps print their failure
# reason on stdout and return non-zero.

argocd_kube_api_versions=admissionregistration.k8s.io/v1,apps/v1,batch/v1,v1,cilium.io/v2,cilium.io/v2/CiliumNetworkPolicy,projectcalico.org/v3

# argocd_command PLUGIN_YAML init|generate: the command of the plugin's init or generate,
# one word a line (command, then args), read from the flow lists the plugin.yaml uses.
argocd_command() {
	awk -v want="$2" '
		function words(line) {
			sub(/^[^[]*\[/, "", line); sub(/\].*$/, "", line)
			n = split(line, w, ",")
			for (i = 1; i <= n; i++) { gsub(/^[ \t"]+|[ \t"]+$/, "", w[i]); if (w[i] != "") print w[i] }
		}
		/^  [a-z]+:/ { in_section = ($0 ~ "^  " want ":") }
		in_section && /^    command:/ { words($0) }
		in_section && /^    args:/ { words($0) }
	' "$1"
}

# argocd_repo DIR: a repository for the Application: the fixture chart and the values file.
argocd_repo() {
	mkdir -p "$1/charts" "$1/argocd" &&
		cp -R "$root/$chart" "$1/charts/controller" &&
		cp "$root/fixtures/argocd/values-netpol.yaml" "$1/argocd/values-netpol.yaml"
}

# argocd_bin: a PATH folder with helm (the pinned Helm 3, as the image ships it) and
# helm-netpol (.bin/helm-netpol).
argocd_bin() {
	local bin=$work/argocd-bin
	if [ ! -d "$bin" ]; then
		mkdir -p "$bin" && ln -s "$root/.bin/helm3" "$bin/helm" && ln -s "$root/.bin/helm-netpol" "$bin/helm-netpol"
	fi
	echo "$bin"
}

# argocd_cmp PLUGIN_YAML APP OUT ERR VAR=VALUE...: one manifest request as argocd-cmp-server
# serves it: init, then generate, in APP with only the variables given (the sidecar's and the
# request's); generate's stdout in OUT, both stderrs in ERR. Returns the failing command's
# status.
argocd_cmp() {
	local plugin=$1 app=$2 out=$3 err=$4 status=0
	shift 4
	local -a init generate
	mapfile -t init < <(argocd_command "$plugin" init)
	mapfile -t generate < <(argocd_command "$plugin" generate)
	: >"$out"
	: >"$err"
	[ ${#generate[@]} -gt 0 ] || { echo "$plugin has no generate command" >>"$err"; return 99; }
	if [ ${#init[@]} -gt 0 ]; then
		(cd "$app" && exec env -i "$@" "${init[@]}") >/dev/null 2>>"$err" || return $?
	fi
	(cd "$app" && exec env -i "$@" "${generate[@]}") >"$out" 2>>"$err" || status=$?
	return $status
}

# argocd_env HOME: the sidecar's variables (as scripts/image.sh sets them, Helm's homes in
# HOME) and the request's, for an Application rel in namespace ctrl-system.
argocd_env() {
	printf '%s\n' "HOME=$1" USER=argocd "HELM_CACHE_HOME=$1/helm/cache" "HELM_CONFIG_HOME=$1/helm/config" \
		"HELM_DATA_HOME=$1/helm/data" ARGOCD_APP_NAME=rel ARGOCD_APP_NAMESPACE=ctrl-system \
		ARGOCD_APP_SOURCE_PATH=charts/controller ARGOCD_APP_REVISION=0123456789abcdef0123456789abcdef01234567 \
		ARGOCD_APP_PROJECT_NAME=default KUBE_VERSION=1.31.0 "KUBE_API_VERSIONS=$argocd_kube_api_versions"
}

# The parameters of argocd-generate, as Argo CD encodes the Application's
# spec.source.plugin.parameters.
argocd_cilium_parameters='[{"name":"engine","string":"cilium"},{"name":"default-deny","string":"true"},{"name":"values-files","array":["../../argocd/values-netpol.yaml"]}]'

# argocd_check_cilium OUT: what the render with argocd_cilium_parameters must hold.
argocd_check_cilium() {
	local out=$1
	doc_with "$out" '^kind: Deployment$' '^  name: rel-controller$' '^  namespace: ctrl-system$' ||
		{ echo "no Deployment rel-controller in namespace ctrl-system: $(tail_of "$out")"; return 1; }
	doc_with "$out" '^kind: CiliumNetworkPolicy$' '^apiVersion: cilium\.io/v2$' \
		'helm-netpol\.io/generated-for: "?apps/v1/Deployment/ctrl-system/rel-controller"?$' \
		'k8s:io\.kubernetes\.pod\.namespace: "?monitoring"?$' ||
		{ echo "no CiliumNetworkPolicy for apps/v1/Deployment/rel-controller with metrics.from (namespace monitoring) of the values file"; return 1; }
	doc_with "$out" '^kind: CiliumNetworkPolicy$' 'helm-netpol\.io/generated-for: "?batch/v1/Job/ctrl-system/rel-controller-preflight"?$' \
		'helm\.sh/hook: "?pre-install"?$' ||
		{ echo "no pre-install hook CiliumNetworkPolicy for the hook Job rel-controller-preflight"; return 1; }
	doc_with "$out" '^kind: CiliumNetworkPolicy$' '^  name: rel-default-deny$' '^  namespace: ctrl-system$' '^  endpointSelector: \{\}$' ||
		{ echo "no default-deny CiliumNetworkPolicy rel-default-deny (parameter default-deny)"; return 1; }
	if grep -q '^kind: NetworkPolicy$' "$out"; then
		echo "a NetworkPolicy was rendered although parameter engine is cilium"
		return 1
	fi
	if grep -q 'helm-netpol\.io/config' "$out"; then
		echo "the helm-netpol.io/config annotation was left in the output"
		return 1
	fi
}

step_argocd_generate() {
	local repo=$work/argocd-generate out=$work/argocd-generate.yaml err=$work/argocd-generate.err bin
	bin=$(argocd_bin) && argocd_repo "$repo" || { echo "could not set up $repo"; return 1; }
	local -a env
	mapfile -t env < <(argocd_env "$work/argocd-home")
	argocd_cmp "$root/argocd/plugin.yaml" "$repo/charts/controller" "$out" "$err" "PATH=$bin" "${env[@]}" \
		"ARGOCD_APP_PARAMETERS=$argocd_cilium_parameters" ||
		{ echo "the plugin exited $?: $(tail_of "$err")"; return 1; }
	argocd_check_cilium "$out"
}

step_argocd_env() {
	local repo=$work/argocd-env out=$work/argocd-env.yaml err=$work/argocd-env.err bin
	bin=$(argocd_bin) && argocd_repo "$repo" || { echo "could not set up $repo"; return 1; }
	local -a env
	mapfile -t env < <(argocd_env "$work/argocd-home")
	argocd_cmp "$root/argocd/plugin.yaml" "$repo/charts/controller" "$out" "$err" "PATH=$bin" "${env[@]}" \
		ARGOCD_ENV_NETPOL_ENGINE=calico ARGOCD_ENV_NETPOL_VALUES_FILES=../../argocd/values-netpol.yaml ARGOCD_ENV_OTHER=ignored ||
		{ echo "the plugin exited $?: $(tail_of "$err")"; return 1; }
	doc_with "$out" '^kind: NetworkPolicy$' '^apiVersion: projectcalico\.org/v3$' \
		'helm-netpol\.io/generated-for: "?apps/v1/Deployment/ctrl-system/rel-controller"?$' "namespaceSelector: \"?kubernetes\\.io/metadata\\.name == 'monitoring'\"?$" ||
		{ echo "no Calico NetworkPolicy for apps/v1/Deployment/rel-controller with metrics.from (namespace monitoring): $(tail_of "$out")"; return 1; }
	if grep -q 'name: rel-default-deny$' "$out"; then
		echo "a default deny was rendered, but no parameter or chart config asks for one"
		return 1
	fi
}

step_argocd_bad_parameter() {
	local repo=$work/argocd-bad bin i out err status
	bin=$(argocd_bin) && argocd_repo "$repo" || { echo "could not set up $repo"; return 1; }
	local -a env
	mapfile -t env < <(argocd_env "$work/argocd-home")
	# Each case: a variable to add, then the line stderr must hold, then "one" when that
	# line must be all of stderr (the plugin's own checks: before helm runs).
	local -a cases=(
		'ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"calcio"}]'
		'helm-netpol: argocd: parameter engine: "calcio" is not an engine: want one of kubernetes, cilium, calico, clusterNetworkPolicy'
		one
		'ARGOCD_APP_PARAMETERS=[{"name":"engin","string":"cilium"}]'
		'helm-netpol: argocd: parameter engin: unknown parameter: want one of enabled, engine, default-deny, egress, strict, values-files, release-name, config'
		one
		'ARGOCD_ENV_NETPOL_DEFAULT_DENY=yes'
		'helm-netpol: argocd: ARGOCD_ENV_NETPOL_DEFAULT_DENY: "yes" is not a boolean: want true or false'
		one
		'ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":["../../../secret.yaml"]}]'
		'helm-netpol: argocd: parameter values-files: ../../../secret.yaml: outside the repository: want a file of the repository, relative to the chart'
		one
		'ARGOCD_APP_PARAMETERS=[{"name":"config","string":"networkPolicy:\n  enabled: true\n  engin: cilium\n"}]'
		'helm-netpol: the Argo CD parameters: networkPolicy.engin: unknown field; allowed: '
		''
		'KUBE_VERSION=1.24.0'
		'Error: chart requires kubeVersion: >=1.25.0-0 which is incompatible with Kubernetes v1.24.0'
		''
	)
	echo 'password: x' >"$work/secret.yaml"
	for ((i = 0; i < ${#cases[@]}; i += 3)); do
		out=$work/argocd-bad-$i.yaml err=$work/argocd-bad-$i.err status=0
		argocd_cmp "$root/argocd/plugin.yaml" "$repo/charts/controller" "$out" "$err" "PATH=$bin" "${env[@]}" "${cases[i]}" || status=$?
		[ "$status" -ne 0 ] ||
			{ echo "${cases[i]}: the plugin succeeded"; return 1; }
		[ ! -s "$out" ] ||
			{ echo "${cases[i]}: the plugin failed but printed on stdout: $(tail_of "$out")"; return 1; }
		grep -qF -- "${cases[i + 1]}" "$err" ||
			{ echo "${cases[i]}: stderr does not say \"${cases[i + 1]}\": $(tail_of "$err")"; return 1; }
		if [ "${cases[i + 2]}" = one ] && [ "$(wc -l <"$err")" -ne 1 ]; then
			echo "${cases[i]}: want one line on stderr, got: $(tail_of "$err")"
			return 1
		fi
	done
}

step_argocd_init_dependencies() {
	local repo=$work/argocd-umbrella out=$work/argocd-umbrella.yaml err=$work/argocd-umbrella.err bin
	bin=$(argocd_bin) && argocd_repo "$repo" && mkdir -p "$repo/charts/umbrella" ||
		{ echo "could not set up $repo"; return 1; }
	cat >"$repo/charts/umbrella/Chart.yaml" <<-'EOF'
		apiVersion: v2
		name: umbrella
		version: 0.1.0
		dependencies:
		  - name: controller
		    version: 0.1.0
		    repository: file://../controller
	EOF
	local -a env
	mapfile -t env < <(argocd_env "$work/argocd-umbrella-home")
	argocd_cmp "$root/argocd/plugin.yaml" "$repo/charts/umbrella" "$out" "$err" "PATH=$bin" "${env[@]}" \
		ARGOCD_APP_SOURCE_PATH=charts/umbrella 'ARGOCD_APP_PARAMETERS=[{"name":"enabled","string":"true"}]' ||
		{ echo "the plugin exited $?: $(tail_of "$err")"; return 1; }
	[ -f "$repo/charts/umbrella/charts/controller-0.1.0.tgz" ] ||
		{ echo "init did not build charts/controller-0.1.0.tgz: $(ls "$repo/charts/umbrella/charts" 2>&1 | tr '\n' ' ') $(tail_of "$err")"; return 1; }
	doc_with "$out" '^kind: NetworkPolicy$' 'helm-netpol\.io/generated-for: "?apps/v1/Deployment/ctrl-system/rel-controller"?$' ||
		{ echo "no NetworkPolicy for the subchart's Deployment rel-controller (parameter enabled): $(tail_of "$out")"; return 1; }
}

step_argocd_sidecar_patch() {
	local dir=$work/argocd-sidecar out=$work/argocd-sidecar.yaml err=$work/argocd-sidecar.err
	mkdir -p "$dir" && cp argocd/repo-server-patch.yaml "$dir/patch.yaml" ||
		{ echo "could not set up $dir"; return 1; }
	# The parts of the stock argocd-repo-server Deployment the patch meets.
	cat >"$dir/repo-server.yaml" <<-'EOF'
		apiVersion: apps/v1
		kind: Deployment
		metadata:
		  name: argocd-repo-server
		  namespace: argocd
		spec:
		  selector:
		    matchLabels: {app.kubernetes.io/name: argocd-repo-server}
		  template:
		    metadata:
		      labels: {app.kubernetes.io/name: argocd-repo-server}
		    spec:
		      initContainers:
		      - name: copyutil
		        image: quay.io/argoproj/argocd:v3.1.0
		        command: [/bin/cp, -n, /usr/local/bin/argocd, /var/run/argocd/argocd-cmp-server]
		        volumeMounts: [{mountPath: /var/run/argocd, name: var-files}]
		      containers:
		      - name: argocd-repo-server
		        image: quay.io/argoproj/argocd:v3.1.0
		        volumeMounts:
		        - {mountPath: /tmp, name: tmp}
		        - {mountPath: /home/argocd/cmp-server/plugins, name: plugins}
		      volumes:
		      - {name: tmp, emptyDir: {}}
		      - {name: var-files, emptyDir: {}}
		      - {name: plugins, emptyDir: {}}
	EOF
	printf '%s\n' 'apiVersion: kustomize.config.k8s.io/v1beta1' 'kind: Kustomization' \
		'resources: [repo-server.yaml]' 'patches: [{path: patch.yaml}]' >"$dir/kustomization.yaml"
	"$root/.bin/kustomize" build "$dir" >"$out" 2>"$err" ||
		{ echo "kustomize build with argocd/repo-server-patch.yaml exited $?: $(tail_of "$err")"; return 1; }
	# The containers, their mounts and the volumes, one line each, from the block style
	# kustomize writes.
	local got want
	got=$(awk '
		/^      containers:$/ { section = "container"; next }
		/^      initContainers:$/ { section = "init"; next }
		/^      volumes:$/ { section = "volume"; next }
		section == "container" && /^      - / { cmds = ""; sub(/^      - /, "        ") }
		section == "container" && /^        command:$/ { incmd = 1; next }
		incmd && /^        - / { cmds = cmds " " $2; next }
		{ incmd = 0 }
		section == "container" && /^        name: / { name = $2; print "container " name; if (cmds != "") print "command " name cmds }
		section == "container" && /^          name: / { print "mount " name " " $2 }
		section == "volume" && /^      - / { sub(/^      - /, "        ") }
		section == "volume" && /^        name: / { print "volume " $2 }
	' "$out" | LC_ALL=C sort | tr '\n' ' ')
	want="command helm-netpol /var/run/argocd/argocd-cmp-server container argocd-repo-server container helm-netpol "
	want+="mount argocd-repo-server plugins mount argocd-repo-server tmp "
	want+="mount helm-netpol cmp-tmp mount helm-netpol plugins mount helm-netpol var-files "
	want+="volume cmp-tmp volume plugins volume tmp volume var-files "
	[ "$got" = "$want" ] ||
		{ echo "the patched Deployment has: $got; want: $want"; return 1; }
	doc_with "$out" '^          runAsUser: 999$' '^          readOnlyRootFilesystem: true$' ||
		{ echo "the sidecar does not run as uid 999 with a read-only root: $(tail_of "$out")"; return 1; }
}

# argocd_image_env CONFIG_JSON: the image config's Env, one variable a line.
argocd_image_env() {
	grep -o '"Env":\[[^]]*\]' "$1" | sed 's/^"Env":\[//; s/\]$//' | sed 's/","/\n/g' | sed 's/^"//; s/"$//'
}

step_argocd_image() {
	local img=$work/argocd-image.tar img2=$work/argocd-image-again.tar log=$work/argocd-image.log
	local rootfs=$work/argocd-rootfs config=$work/argocd-image-config.json printed manifest f
	printed=$(scripts/image.sh --output "$img" 2>"$log") ||
		{ echo "scripts/image.sh failed: $(tail_of "$log")"; return 1; }
	{ [ "$printed" = "$img" ] && [ -s "$img" ]; } ||
		{ echo "scripts/image.sh printed \"$printed\", want the written $img"; return 1; }
	scripts/image.sh --output "$img2" >/dev/null 2>>"$log" ||
		{ echo "scripts/image.sh (again) failed: $(tail_of "$log")"; return 1; }
	cmp -s "$img" "$img2" ||
		{ echo "two builds of one checkout differ: $(sha256sum "$img" "$img2" | tr '\n' ' ')"; return 1; }

	# The config: who it runs as, what it starts, its environment.
	manifest=$(tar -xOf "$img" manifest.json) ||
		{ echo "no manifest.json in $img"; return 1; }
	f=$(sed -n 's/.*"Config":"\([^"]*\)".*/\1/p' <<<"$manifest")
	tar -xOf "$img" "$f" >"$config" ||
		{ echo "no config $f in $img"; return 1; }
	for want in '"User":"999:999"' '"Entrypoint":\["/var/run/argocd/argocd-cmp-server"\]' '"os":"linux"' \
		'"PATH=/usr/local/bin"' '"HELM_CACHE_HOME=/tmp/helm/cache"' '"HOME=/home/argocd"'; do
		grep -q "$want" "$config" ||
			{ echo "the image config has no $want: $(tail_of "$config")"; return 1; }
	done

	# The files, unpacked as a runtime would.
	mkdir -p "$rootfs"
	"$root/.bin/crane" export - "$work/argocd-rootfs.tar" <"$img" 2>>"$log" ||
		{ echo "crane export failed: $(tail_of "$log")"; return 1; }
	tar -xf "$work/argocd-rootfs.tar" -C "$rootfs" ||
		{ echo "could not unpack the exported file system"; return 1; }
	local listing
	listing=$(cd "$rootfs" && find . -mindepth 1 \( -type f -o -type l \) -printf '%P %m\n' | LC_ALL=C sort | tr '\n' ' ')
	[ "$listing" = "home/argocd/cmp-server/config/plugin.yaml 644 usr/local/bin/helm 755 usr/local/bin/helm-netpol 755 " ] ||
		{ echo "the image's files are not helm, helm-netpol and the plugin config alone: $listing"; return 1; }
	[ "$(stat -c %a "$rootfs/tmp")" = 1777 ] ||
		{ echo "/tmp in the image is not world-writable with the sticky bit: $(stat -c %a "$rootfs/tmp")"; return 1; }
	cmp -s "$rootfs/home/argocd/cmp-server/config/plugin.yaml" argocd/plugin.yaml ||
		{ echo "/home/argocd/cmp-server/config/plugin.yaml differs from argocd/plugin.yaml"; return 1; }
	"$rootfs/usr/local/bin/helm-netpol" version | grep -q "^helm-netpol $(plugin_version) " ||
		{ echo "the image's helm-netpol does not say version $(plugin_version): $("$rootfs/usr/local/bin/helm-netpol" version 2>&1)"; return 1; }

	# The unpacked plugin config's commands, with the unpacked binaries alone on PATH.
	local repo=$work/argocd-image-repo out=$work/argocd-image.yaml err=$work/argocd-image.err
	argocd_repo "$repo" || { echo "could not set up $repo"; return 1; }
	local -a env
	mapfile -t env < <(argocd_env "$work/argocd-image-home")
	argocd_cmp "$rootfs/home/argocd/cmp-server/config/plugin.yaml" "$repo/charts/controller" "$out" "$err" \
		"PATH=$rootfs/usr/local/bin" "${env[@]}" "ARGOCD_APP_PARAMETERS=$argocd_cilium_parameters" ||
		{ echo "the unpacked plugin exited $?: $(tail_of "$err")"; return 1; }
	argocd_check_cilium "$out"
}

# argocd_root_unavailable: why argocd-image-root cannot run here, or false when it can.
argocd_root_unavailable() {
	if [ "$(id -u)" != 0 ]; then
		echo "needs root (unshare --root, --setuid)"
	elif ! command -v unshare >/dev/null || ! unshare --help 2>&1 | grep -q -- '--setuid'; then
		echo "needs util-linux unshare 2.38 or later (--root, --setuid)"
	elif ! unshare --root=/ --wd=/ --setuid 999 --setgid 999 true 2>/dev/null; then
		echo "unshare --root --setuid is not permitted here"
	else
		return 1
	fi
}

step_argocd_image_root() {
	local rootfs=$work/argocd-rootfs out=$work/argocd-image-root.yaml err=$work/argocd-image-root.err
	local config=$work/argocd-image-config.json
	[ -x "$rootfs/usr/local/bin/helm-netpol" ] && [ -f "$config" ] ||
		{ echo "no unpacked image: argocd-image failed"; return 1; }
	# The app source where the sidecar's cmp-tmp volume would hold it, writable by uid 999.
	argocd_repo "$rootfs/tmp/repo" && chown -R 999:999 "$rootfs/tmp/repo" ||
		{ echo "could not set up $rootfs/tmp/repo"; return 1; }
	local -a init generate env
	mapfile -t init < <(argocd_command "$rootfs/home/argocd/cmp-server/config/plugin.yaml" init)
	mapfile -t generate < <(argocd_command "$rootfs/home/argocd/cmp-server/config/plugin.yaml" generate)
	# The image's own environment, then the request's (Helm's homes stay the image's).
	mapfile -t env < <(argocd_image_env "$config"; argocd_env /unused | grep -v -e '^HOME=' -e '^USER=' -e '^HELM_')
	local -a run=(env -i "${env[@]}" "ARGOCD_APP_PARAMETERS=$argocd_cilium_parameters"
		"$(command -v unshare)" --root="$rootfs" --wd=/tmp/repo/charts/controller --setuid 999 --setgid 999)
	"${run[@]}" "${init[@]}" >/dev/null 2>"$err" ||
		{ echo "init inside the image exited $?: $(tail_of "$err")"; return 1; }
	"${run[@]}" "${generate[@]}" >"$out" 2>>"$err" ||
		{ echo "generate inside the image exited $?: $(tail_of "$err")"; return 1; }
	argocd_check_cilium "$out"
}

# argocd_steps: the steps, in order, for e2e.sh.
argocd_steps() {
	local reason
	run_step argocd-generate step_argocd_generate
	run_step argocd-env step_argocd_env
	run_step argocd-bad-parameter step_argocd_bad_parameter
	run_step argocd-init-dependencies step_argocd_init_dependencies
	run_step argocd-sidecar-patch step_argocd_sidecar_patch
	run_step argocd-image step_argocd_image
	if reason=$(argocd_root_unavailable); then
		skip argocd-image-root "$reason"
	else
		run_step argocd-image-root step_argocd_image_root
	fi
}
