#!/usr/bin/env bash
# Measures helm-netpol against `yq eval '.'` (mikefarah yq v4) and `cat` on the same
# streams of real chart output, and prints the machine, a Markdown table of medians (wall
# time, ratios, peak RSS) and which performance targets hold. See docs/performance.md.
#
# The streams are made of the committed renders in fixtures/corpus/*.yaml, each copy a
# release of its own in a namespace of its own (the words `rel` and `ns` renamed to rel1,
# ns1, rel2, ns2 ...):
#   mixed 10/50  copies of every render: mostly CRDs and config, few workloads per MB
#   dense 1/10/50  copies of the renders under 100 kB: a release of several workloads
#                every 74 kB, the most workloads per MB that real chart output has
# All are covered by the release-wide config `networkPolicy: {enabled: true,
# keepExisting: true}` given with --config (no --release: a stream holds several
# releases). Before timing, each stream must pass through helm-netpol with exit 0 and
# its input back byte for byte ahead of the policies, and yq must parse it. helm-netpol
# reads the stream from a pipe, as Helm gives it; yq and cat read the file.
#
# Installs yq with go install into the git-ignored .bin/ (kept when already there at the
# same version) and builds the working tree's helm-netpol into .bin/helm-netpol. Needs Go
# 1.26, GNU time (/usr/bin/time, Debian package `time`, installed with apt-get when
# missing) and, for the first yq build, the Go module proxy. Takes a few minutes.
#
# Second, where users feel it: for every render in fixtures/corpus, Helm's own time against
# helm-netpol's. Helm's time is `helm template` (the pinned Helm 3, scripts/tools.sh) of a
# chart whose templates are that render's text with its `{{` escaped, split into files
# under Helm's 5 MiB file limit: a lower bound of what Helm spends producing the render.
# helm-netpol's time is one post-render of the same text with the release-wide config.
# Both are timed as Helm runs a post-renderer (internal/postrendertime, which uses Helm's
# own postrender package), and so are helm-netpol's start alone and the floor (a program
# that links kyaml's kio alone; internal/floor).
#
# Usage: scripts/bench.sh [-n RUNS] [-t SECONDS] [-b BINARY] [-H]
#   -n RUNS     timed runs of each tool on each stream (default 5)
#   -t SECONDS  a helm-netpol run that takes longer is stopped, its stream reported as
#               timed out (default 300); a stream that takes over a minute is timed once
#   -b BINARY   measure this helm-netpol instead of building the working tree
#   -H          only the comparison with Helm
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/.bin"
corpus="$root/fixtures/corpus"

# v4.54.3 is the newest v4 release; its go.mod declares go 1.26.0.
YQ_VERSION=v4.54.3
YQ_MODULE=github.com/mikefarah/yq/v4

log() { printf 'bench.sh: %s\n' "$*" >&2; }
usage() { echo "usage: scripts/bench.sh [-n RUNS] [-t SECONDS] [-b BINARY] [-H]" >&2; exit 2; }

runs=5 limit=300 binary= helm_only=
while getopts n:t:b:H opt; do
	case $opt in
	n) runs=$OPTARG ;;
	t) limit=$OPTARG ;;
	b) binary=$OPTARG ;;
	H) helm_only=1 ;;
	*) usage ;;
	esac
done
[ $OPTIND -gt $# ] || usage
[[ $runs =~ ^[1-9][0-9]*$ ]] || { log "-n wants a positive number, not $runs"; exit 2; }
[[ $limit =~ ^[1-9][0-9]*$ ]] || { log "-t wants a positive number of seconds, not $limit"; exit 2; }
[ "$runs" -ge 5 ] || log "warning: $runs runs; the targets speak of medians of at least 5"
if [ -n "$binary" ]; then
	binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
	[ -x "$binary" ] || { log "-b $binary: not an executable"; exit 2; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/helm-netpol-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

command -v go >/dev/null || { log "go is not on PATH; Go 1.26 is needed"; exit 1; }

# GNU time reports the exit status (%x) and peak RSS (%M) of the command it runs.
gnutime=/usr/bin/time
if ! "$gnutime" -f '%x %M' -o /dev/null true 2>/dev/null; then
	log "GNU time not found at $gnutime: apt-get install time"
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	{ $sudo apt-get install -y -qq time || { $sudo apt-get update -qq && $sudo apt-get install -y -qq time; }; } >&2 ||
		{ log "could not install GNU time (Debian package time)"; exit 1; }
fi

# yq: built into a temporary GOBIN beside .bin/yq and renamed over it, so an interrupted
# build never leaves half a binary behind.
mkdir -p "$bin"
if go version -m "$bin/yq" 2>/dev/null | grep -qF "$(printf '\tmod\t%s\t%s\t' "$YQ_MODULE" "$YQ_VERSION")"; then
	log "yq: $YQ_MODULE $YQ_VERSION already in .bin/yq"
else
	log "yq: go install $YQ_MODULE@$YQ_VERSION -> .bin/yq"
	gobin=$(mktemp -d "$bin/.install.XXXXXX")
	if ! GOBIN="$gobin" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "$YQ_MODULE@$YQ_VERSION" >&2; then
		rm -rf "$gobin"
		log "yq: go install $YQ_MODULE@$YQ_VERSION failed"
		exit 1
	fi
	mv -f "$gobin/yq" "$bin/yq"
	rm -rf "$gobin"
fi
yq="$bin/yq"

if [ -n "$binary" ]; then
	hn=$binary
	what="$binary"
else
	log "helm-netpol: go build -> .bin/helm-netpol"
	# Built as every release archive, the plugin and the image build it: static.
	(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/helm-netpol" .)
	mv -f "$work/helm-netpol" "$bin/helm-netpol"
	hn="$bin/helm-netpol"
	what="the working tree at $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
	[ -z "$(git -C "$root" status --porcelain 2>/dev/null)" ] || what+=" with uncommitted changes"
fi

printf 'networkPolicy: {enabled: true, keepExisting: true}\n' >"$work/config.yaml"

# median FILE COLUMN
median() {
	sort -g -k"$2,$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# verdict TEXT CONDITION: prints whether a target is met.
verdict() { if awk "BEGIN { exit !($2) }"; then echo "- met: $1"; else echo "- NOT met: $1"; fi; }

if [ -z "$helm_only" ]; then
# rename I FILE: one copy of a render as release relI in namespace nsI. In the corpus the
# word `rel` is only ever the release (names, app.kubernetes.io/instance, release labels)
# and `ns` only the namespace (namespace fields, Service DNS names, PromQL matchers), but
# in one CRD description about time units.
rename() { sed -E "s/\\brel\\b/rel$1/g; /Valid time units/!s/\\bns\\b/ns$1/g" "$2"; }

# build OUT TARGET FILE...: renamed copies of all FILEs, copy after copy, until OUT holds
# at least TARGET bytes.
build() {
	local out=$1 target=$2 i=0 f
	shift 2
	: >"$out"
	while [ "$(stat -c %s "$out")" -lt "$target" ]; do
		i=$((i + 1))
		for f in "$@"; do rename "$i" "$f" >>"$out"; done
	done
}

all=("$corpus"/*.yaml)
small=()
for f in "${all[@]}"; do
	[ "$(stat -c %s "$f")" -ge 100000 ] || small+=("$f")
done
if [ ${#small[@]} -eq 0 ] || [ ${#small[@]} -eq ${#all[@]} ]; then
	log "expected large and small chart renders in $corpus"
	exit 1
fi
names() { for f in "$@"; do basename "$f" .yaml; done | paste -sd, - | sed 's/,/, /g'; }
log "mixed: copies of $(names "${all[@]}")"
log "dense: copies of $(names "${small[@]}")"

streams=(dense-1MB dense-10MB dense-50MB mixed-10MB mixed-50MB)
for mb in 1 10 50; do build "$work/dense-${mb}MB.yaml" $((mb * 1000000)) "${small[@]}"; done
for mb in 10 50; do build "$work/mixed-${mb}MB.yaml" $((mb * 1000000)) "${all[@]}"; done

# measure TOOL STREAM [OUT]: one timed run, appended as "wall-seconds peak-RSS-KiB
# CPU-seconds" to $work/TOOL.STREAM;
# returns 124 when helm-netpol ran out of time.
measure() {
	local tool=$1 s=$2 out=${3:-/dev/null} in="$work/$2.yaml" t0 t1 rc kib
	case $tool in
	helm-netpol)
		t0=$EPOCHREALTIME
		"$gnutime" -f '%x %M %U %S' -o "$work/time" timeout "$limit" "$hn" --config "$work/config.yaml" \
			< <(cat "$in") >"$out" 2>"$work/err" || true
		t1=$EPOCHREALTIME
		;;
	yq | cat)
		local -a cmd=("$yq" eval '.' "$in")
		[ "$tool" = yq ] || cmd=(cat "$in")
		t0=$EPOCHREALTIME
		"$gnutime" -f '%x %M %U %S' -o "$work/time" "${cmd[@]}" </dev/null >"$out" 2>"$work/err" || true
		t1=$EPOCHREALTIME
		;;
	esac
	read -r rc kib user sys < <(tail -1 "$work/time")
	[ "$rc" != 124 ] || return 124
	[ "$rc" = 0 ] || { log "$tool failed on the $s stream (exit $rc):"; grep -v ': warning: ' "$work/err" | head -20 >&2; exit 1; }
	awk -v a="$t0" -v b="$t1" -v k="$kib" -v u="$user" -v s="$sys" 'BEGIN { printf "%.6f %d %.2f\n", b - a, k, u + s }' >>"$work/$tool.$s"
}

# Check every stream once (this also warms the page cache), then time the tools on it,
# interleaved so that a slow moment of the machine hits all three alike.
declare -A bytes objects policies k timedout
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for s in "${streams[@]}"; do
	in="$work/$s.yaml"
	bytes[$s]=$(stat -c %s "$in")
	objects[$s]=$(grep -c '^kind: ' "$in" || true)
	"$yq" eval '.' "$in" >/dev/null 2>"$work/err" || { log "yq cannot parse the $s stream: $(head -5 "$work/err")"; exit 1; }
	k[$s]=$runs
	t0=$SECONDS
	if ! measure helm-netpol "$s" "$work/out.yaml"; then
		log "$s: $(numfmt --to=si "${bytes[$s]}")B, ${objects[$s]} objects: helm-netpol took over $limit s, stopped"
		timedout[$s]=1
		continue
	fi
	rm -f "$work/helm-netpol.$s"
	cmp -s -n "${bytes[$s]}" "$in" "$work/out.yaml" || { log "helm-netpol's output of the $s stream does not start with its input's bytes"; exit 1; }
	policies[$s]=$(grep -c 'helm-netpol.io/generated-for: ' "$work/out.yaml" || true)
	rm -f "$work/out.yaml"
	if [ $((SECONDS - t0)) -gt 60 ]; then
		k[$s]=1
	fi
	log "$s: $(numfmt --to=si "${bytes[$s]}")B, ${objects[$s]} objects; helm-netpol adds ${policies[$s]} policies ($(grep -c ': warning: ' "$work/err" || true) warnings); ${k[$s]} run(s) of helm-netpol, yq and cat"
	for ((r = 0; r < k[$s]; r++)); do
		for tool in helm-netpol yq cat; do
			measure "$tool" "$s" || { timedout[$s]=1; break 2; }
		done
	done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

cat <<TABLE
Machine: $(nproc) cores ($(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM), Linux $(uname -r), $(go version | cut -d' ' -f3); load average $load_before before, $load_after after.
helm-netpol: $what; yq $("$yq" --version | awk '{ print $NF }'); $(cat --version | head -1).
Medians of $runs runs of wall time, peak RSS and CPU time (user + system, GNU time); helm-netpol reads a pipe.

| stream | helm-netpol | yq | cat | ratio to yq | ratio to cat | helm-netpol peak RSS | RSS / input | helm-netpol ms per MB | CPU helm-netpol / yq | objects in, policies out |
|---|---|---|---|---|---|---|---|---|---|---|
TABLE
row() {
	local s=$1 n=""
	if [ -n "${timedout[$s]:-}" ]; then
		awk -v s="$s" -v b="${bytes[$s]}" -v l="$limit" -v o="${objects[$s]}" 'BEGIN {
			printf "| %s (%.1f MB) | over %d s (stopped) | | | | | | | | | %d, - |\n", s, b / 1e6, l, o }'
		return
	fi
	[ "${k[$s]}" -ge 5 ] || n=", ${k[$s]} run"
	awk -v s="$s" -v n="$n" -v b="${bytes[$s]}" -v h="$(median "$work/helm-netpol.$s" 1)" -v y="$(median "$work/yq.$s" 1)" \
		-v c="$(median "$work/cat.$s" 1)" -v r="$(median "$work/helm-netpol.$s" 2)" -v o="${objects[$s]}" -v p="${policies[$s]}" \
		-v hc="$(median "$work/helm-netpol.$s" 3)" -v yc="$(median "$work/yq.$s" 3)" '
		function dur(t) { return t < 1 ? sprintf("%.1f ms", t * 1000) : sprintf("%.2f s", t) }
		BEGIN {
			size = b < 100000 ? sprintf("%s (%.1f kB%s)", s, b / 1000, n) : sprintf("%s (%.1f MB%s)", s, b / 1e6, n)
			printf "| %s | %s | %s | %s | %.2f | %.0f | %.1f MiB | %.2f | %.1f | %.2f s / %.2f s | %d, %d |\n",
				size, dur(h), dur(y), dur(c), h / y, h / c, r / 1024, r * 1024 / b, h * 1000 / (b / 1e6), hc, yc, o, p
		}'
}
for s in "${streams[@]}"; do row "$s"; done

# The targets of the performance issue, each with what was measured.
echo
echo "Targets:"
med() { median "$work/$1.$2" "${3:-1}"; }
for s in mixed-10MB dense-10MB; do
	want=0.4
	if [ -n "${timedout[$s]:-}" ]; then
		echo "- NOT met: $s: wall time at most $want x yq: helm-netpol took over $limit s"
		continue
	fi
	ratio=$(awk -v h="$(med helm-netpol "$s")" -v y="$(med yq "$s")" 'BEGIN { printf "%.2f", h / y }')
	verdict "$s: wall time $ratio x yq (at most $want x)" "$ratio <= $want"
done
for s in "${streams[@]}"; do
	[ -z "${timedout[$s]:-}" ] || continue
	got=$(awk -v r="$(med helm-netpol "$s" 2)" 'BEGIN { printf "%.1f", r / 1024 }')
	want=$(awk -v b="${bytes[$s]}" 'BEGIN { printf "%.1f", 2 * b / 1048576 + 50 }')
	verdict "$s: peak RSS $got MiB (at most 2 x input + 50 MiB = $want MiB)" "$got <= $want"
done
# Linear: the cost per MB of the largest stream of a mix is at most 1.5 times that of its
# smallest (startup and fixed costs only make small streams dearer per MB).
linear() {
	local mix=$1 first=$2 last=$3 a b
	if [ -n "${timedout[$mix-$first]:-}${timedout[$mix-$last]:-}" ]; then
		echo "- NOT met: linear cost, $mix: a run took over $limit s"
		return
	fi
	a=$(awk -v t="$(med helm-netpol "$mix-$first")" -v b="${bytes[$mix-$first]}" 'BEGIN { printf "%.1f", t * 1000 / (b / 1e6) }')
	b=$(awk -v t="$(med helm-netpol "$mix-$last")" -v b="${bytes[$mix-$last]}" 'BEGIN { printf "%.1f", t * 1000 / (b / 1e6) }')
	verdict "linear cost, $mix: $a ms per MB at $first, $b at $last (at most 1.5 x)" "$b <= 1.5 * $a"
}
linear dense 1MB 50MB
linear mixed 10MB 50MB
fi

# Against Helm's own time, on every real render. chart_of RENDER DIR: a chart in DIR whose
# templates are RENDER's documents, `{{` escaped, in files under 4 MB each.
chart_of() {
	local render=$1 dir=$2
	mkdir -p "$dir/templates"
	printf 'apiVersion: v2\nname: render\nversion: 0.1.0\n' >"$dir/Chart.yaml"
	sed 's/{{/{{"{{"}}/g' "$render" | awk -v dir="$dir/templates" '
		/^---/ && size > 4000000 { n++; size = 0 }
		{ print > (dir "/part" n ".yaml"); size += length($0) + 1 }'
}
helm3="$bin/helm3"
"$root/scripts/tools.sh" helm3 >&2 || { log "scripts/tools.sh helm3 failed"; exit 1; }
echo
echo "Against Helm: helm template of each render (the pinned Helm 3), and one post-render of the same text, each run as Helm runs a post-renderer; medians of $runs runs."
echo
# The floor: internal/floor links kyaml's kio, on which helm-netpol is built, and nothing
# else, and exits. No post-renderer built on kyaml starts faster; where the floor alone
# takes more than 10 % of Helm's time, that target is out of reach for the render.
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/floor-bin" ./internal/floor)
# Every program here is timed as Helm starts a post-renderer (internal/postrendertime:
# Helm's own postrender package, stdin a pipe fed from memory, stdout read into memory);
# a shell's fork and a process substitution would add time of their own. Helm gets no
# render on stdin.
(cd "$root" && go build -o "$work/postrendertime" ./internal/postrendertime)
timed() { "$work/postrendertime" 1 "$@"; }
echo "| render | size | helm template | helm-netpol | helm-netpol / Helm | floor / Helm |"
echo "|---|---|---|---|---|---|"
# The start of the command alone (helm-netpol version: the Go runtime and the
# initialisation of the packages it links, then exit) is part of every post-render.
: >"$work/start"
: >"$work/floor.all"
worst=0 worst_reachable=0 unreachable=
for f in "$corpus"/*.yaml; do
	name=$(basename "$f" .yaml)
	chart_of "$f" "$work/chart-$name"
	: >"$work/helm.$name"
	: >"$work/hn.$name"
	: >"$work/floor.$name"
	"$helm3" template rel "$work/chart-$name" >/dev/null 2>"$work/err" || { log "helm template of $name failed: $(head -3 "$work/err")"; exit 1; }
	"$hn" --config "$work/config.yaml" <"$f" >/dev/null 2>"$work/err" || { log "helm-netpol failed on $name: $(grep -v ': warning: ' "$work/err" | head -3)"; exit 1; }
	for ((r = 0; r < runs; r++)); do
		timed /dev/null "$helm3" template rel "$work/chart-$name" >>"$work/helm.$name"
		timed "$f" "$hn" --config "$work/config.yaml" >>"$work/hn.$name"
		timed "$f" "$hn" version >>"$work/start"
		timed "$f" "$work/floor-bin" >>"$work/floor.$name"
	done
	h=$(median "$work/helm.$name" 1)
	n=$(median "$work/hn.$name" 1)
	share=$(awk -v h="$h" -v n="$n" 'BEGIN { printf "%.1f", 100 * n / h }')
	floor=$(awk -v h="$h" -v n="$(median "$work/floor.$name" 1)" 'BEGIN { printf "%.1f", 100 * n / h }')
	cat "$work/floor.$name" >>"$work/floor.all"
	awk -v f="$name" -v b="$(stat -c %s "$f")" -v h="$h" -v n="$n" -v s="$share" -v fl="$floor" \
		'BEGIN { printf "| %s | %.1f kB | %.1f ms | %.1f ms | %s %% | %s %% |\n", f, b / 1000, h * 1000, n * 1000, s, fl }'
	worst=$(awk -v a="$worst" -v b="$share" 'BEGIN { print (b > a ? b : a) }')
	if awk -v fl="$floor" 'BEGIN { exit !(fl > 10) }'; then
		unreachable+=" $name ($floor %)"
	else
		worst_reachable=$(awk -v a="$worst_reachable" -v b="$share" 'BEGIN { print (b > a ? b : a) }')
	fi
done
echo
awk -v s="$(median "$work/start" 1)" -v f="$(median "$work/floor.all" 1)" \
	'BEGIN { printf "The start of helm-netpol alone (helm-netpol version, median of all runs above): %.1f ms; the floor (internal/floor, kyaml'"'"'s kio alone): %.1f ms.\n\n", s * 1000, f * 1000 }'
verdict "every render: helm-netpol at most 10 % of Helm's own time (worst $worst %)" "$worst <= 10"
verdict "every render where the floor leaves room: helm-netpol at most 10 % of Helm's own time (worst $worst_reachable %)" "$worst_reachable <= 10"
[ -z "$unreachable" ] || echo "- out of reach: the floor alone takes more than 10 % of Helm's time on:$unreachable"
