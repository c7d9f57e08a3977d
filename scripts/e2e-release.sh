# shellcheck shell=bash
# shellcheck disable=SC2154 # $work, $root and $chart are scripts/e2e.sh's
# The release steps of scripts/e2e.sh, which sources this file and runs them with its
# run_step (they use its $work, $root, $chart, helm_in, check_rendered,
# helm4_template_with, tail_of and plugin_version):
#
#   release-snapshot          scripts/release.sh --snapshot: the 12 artifacts and
#                             checksums.txt, each archive's and tarball's entries, the
#                             binaries' platforms, gzip without a timestamp, and a second
#                             build byte for byte the same
#   release-helm3-install     helm3 plugin install of the plugin files alone (no go.mod, no
#                             source) with Go off PATH: the hook downloads the host's archive
#                             from a local server (HELM_NETPOL_RELEASE_URL), checks it
#                             against checksums.txt; helm3 netpol version; helm3 template
#                             --post-renderer with the installed binary
#   release-helm4-install     the same with helm4 (curl off PATH too, when wget is there):
#                             plugins/netpol-postrender, then the root netpol plugin;
#                             helm4 template --post-renderer netpol-postrender
#   release-plugin-tarballs   the release's plugin tarballs with Go off PATH: netpol's
#                             unpacked and installed by helm3, netpol-postrender's installed
#                             by helm4 from its URL; the binary inside is kept, no archive
#                             is downloaded; helm4 template with it
#   release-tampered          one byte of the served archive flipped: the install fails
#                             saying so, and leaves no binary and no temporary file
#   release-download-fails    a release URL that answers 404: the message names the URL and
#                             HELM_NETPOL_RELEASE_URL; nothing installed
#   release-unsupported-platform  uname says riscv64: the message says which platforms
#                             have releases; nothing downloaded, nothing installed
#   release-no-downloader     neither curl nor wget on PATH: said so; nothing installed
#   release-local-folder      HELM_NETPOL_RELEASE_URL=file://<folder> with no curl, wget or Go
#   release-install-modes     the hook run directly: HELM_NETPOL_INSTALL=download with Go and
#                             a go.mod there, a binary of another version replaced,
#                             HELM_NETPOL_INSTALL=build without Go refused, a bad value
#
# The server (scripts/serve.go) listens on a free port of 127.0.0.1, lives as long as the
# step that started it, and stops by itself if that step's shell is gone.

# The local server is never reached through a proxy.
export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}" NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"

# release_platform: this machine's os_arch, in the release's names (from Go, not from the
# hook's own uname mapping).
release_platform() { echo "$(go env GOOS)_$(go env GOARCH)"; }

# need_release: the snapshot release of the release-snapshot step is there.
need_release() {
	[ -f "$work/release/checksums.txt" ] ||
		{ echo "no snapshot release in $work/release: the release-snapshot step failed"; return 1; }
}

# path_without TAG NAME...: a folder holding a link to every command on PATH but NAME...,
# for use as PATH; prints its path.
path_without() {
	local dir="$work/path-$1" d f n
	shift
	local -A skip=() seen=()
	for n in "$@"; do skip[$n]=1; done
	local targets=() dirs=()
	IFS=: read -ra dirs <<<"$PATH"
	for d in "${dirs[@]}"; do
		[ -d "$d" ] || continue
		for f in "$d"/*; do
			n=${f##*/}
			if [ ! -x "$f" ] || [ -d "$f" ] || [ -n "${skip[$n]:-}" ] || [ -n "${seen[$n]:-}" ]; then
				continue
			fi
			seen[$n]=1
			targets+=("$f")
		done
	done
	rm -rf "$dir"
	mkdir -p "$dir"
	ln -s "${targets[@]}" "$dir/"
	echo "$dir"
}

# plugin_copy DIR: the plugin files of the checkout, without go.mod or any Go source, as a
# user without Go has them.
plugin_copy() {
	local dir=$1
	mkdir -p "$dir/scripts" "$dir/plugins/netpol-postrender"
	cp plugin.yaml README.md "$dir/"
	cp scripts/install-plugin.sh "$dir/scripts/"
	cp plugins/netpol-postrender/plugin.yaml "$dir/plugins/netpol-postrender/"
}

# serve_start ROOT: serves ROOT on 127.0.0.1 for the rest of the calling step; sets
# $served (http://127.0.0.1:PORT) and $served_log (one "GET /path STATUS USER-AGENT" line a
# request).
serve_start() {
	local root_dir=$1 bin="$work/serve" addr
	if [ ! -x "$bin" ]; then
		go build -o "$bin" scripts/serve.go >"$work/serve-build.log" 2>&1 ||
			{ echo "go build scripts/serve.go failed: $(tail_of "$work/serve-build.log")"; return 1; }
	fi
	addr=$(mktemp -u "$work/serve-addr.XXXXXX")
	served_log=$addr.log
	"$bin" -dir "$root_dir" -addr-file "$addr" -log "$served_log" -max 10m >"$addr.out" 2>&1 &
	serve_pid=$!
	# Steps run in a subshell of their own: this trap ends the server with the step.
	trap 'kill "$serve_pid" 2>/dev/null || true' EXIT
	for _ in $(seq 100); do
		[ -s "$addr" ] && break
		kill -0 "$serve_pid" 2>/dev/null || { echo "the server exited: $(tail_of "$addr.out")"; return 1; }
		sleep 0.1
	done
	[ -s "$addr" ] || { echo "the server wrote no address in 10s"; return 1; }
	served=http://$(cat "$addr")
}

# release_www: the web root, with the snapshot release at releases/download/v<version>/ as
# GitHub serves it; prints the release's folder.
release_www() {
	local dir
	dir="$work/www/releases/download/v$(plugin_version)"
	if [ ! -d "$dir" ]; then
		mkdir -p "$dir"
		cp "$work/release"/* "$dir/"
	fi
	echo "$dir"
}

# names_in DIR: the names in DIR, on one line.
names_in() { find "$1" -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null; }

# no_binary_left PLUGIN_DIR TMP: the failed install left no binary and no temporary file.
no_binary_left() {
	local dir=$1 tmp=$2 left
	if [ -e "$dir/bin" ]; then
		echo "the failed install left $dir/bin: $(names_in "$dir/bin")"
		return 1
	fi
	left=$(names_in "$tmp")
	[ -z "$left" ] || { echo "the failed install left temporary files in TMPDIR: $left"; return 1; }
}

# failed_install NAME URL PATH: helm3 plugin install of a fresh plugin copy that must fail;
# prints nothing and leaves the output in $work/NAME.log. HOME, plugin copy and TMPDIR:
# $work/NAME{-home,-plugin,-tmp}.
failed_install() {
	local name=$1 url=$2 path=$3
	plugin_copy "$work/$name-plugin"
	mkdir -p "$work/$name-tmp"
	if PATH=$path TMPDIR="$work/$name-tmp" HELM_NETPOL_RELEASE_URL=$url \
		helm_in "$name-home" 3 plugin install "$work/$name-plugin" >"$work/$name.log" 2>&1; then
		echo "helm3 plugin install succeeded: $(tail_of "$work/$name.log")"
		return 1
	fi
}

step_release_snapshot() {
	local dist="$work/release" again="$work/release-again" log="$work/release.log" version out
	version=$(plugin_version)
	out=$(scripts/release.sh --snapshot --dist "$dist" 2>"$log") ||
		{ echo "scripts/release.sh --snapshot failed: $(tail_of "$log")"; return 1; }

	local want=() platform goos goarch
	for platform in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64; do
		goos=${platform%_*} goarch=${platform#*_}
		want+=("helm-netpol_${version}_${platform}.tar.gz" "netpol-$version-$goos-$goarch.tgz"
			"netpol-postrender-$version-$goos-$goarch.tgz")
	done
	local listed files expected
	listed=$(LC_ALL=C sort <<<"${out//"$dist/"/}")
	files=$(find "$dist" -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort)
	expected=$(printf '%s\n' "${want[@]}" checksums.txt | LC_ALL=C sort)
	[ "$listed" = "$expected" ] ||
		{ echo "release.sh printed $(tr '\n' ' ' <<<"$listed"), want $(tr '\n' ' ' <<<"$expected")"; return 1; }
	[ "$files" = "$expected" ] ||
		{ echo "$dist holds $(tr '\n' ' ' <<<"$files"), want $(tr '\n' ' ' <<<"$expected")"; return 1; }

	# checksums.txt: GoReleaser's "<sha256>  <file>" lines, by name, one per artifact.
	local sums
	sums=$(cut -c 67- "$dist/checksums.txt")
	[ "$sums" = "$(printf '%s\n' "${want[@]}" | LC_ALL=C sort)" ] ||
		{ echo "checksums.txt names $(tr '\n' ' ' <<<"$sums"), want every artifact once, sorted"; return 1; }
	if grep -Evq '^[0-9a-f]{64}  [^ ]+$' "$dist/checksums.txt"; then
		echo "checksums.txt has lines not of the form '<sha256>  <file>': $(grep -Ev '^[0-9a-f]{64}  [^ ]+$' "$dist/checksums.txt" | head -2 | tr '\n' ' ')"
		return 1
	fi
	(cd "$dist" && sha256sum --quiet -c checksums.txt) >"$work/release-sums.log" 2>&1 ||
		{ echo "sha256sum -c checksums.txt failed: $(tail_of "$work/release-sums.log")"; return 1; }

	local f x="$work/release-x" entries info docs=()
	for f in LICENSE README.md; do
		[ ! -f "$f" ] || docs+=("$f")
	done
	for platform in linux_amd64 linux_arm64 darwin_amd64 darwin_arm64; do
		goos=${platform%_*} goarch=${platform#*_}
		rm -rf "$x" && mkdir -p "$x/archive" "$x/netpol" "$x/postrender"
		f=$dist/helm-netpol_${version}_${platform}.tar.gz
		# gzip's MTIME field (bytes 4 to 7) is zero: no build time in the bytes.
		[ "$(od -An -tx1 -j4 -N4 "$f" | tr -d ' \n')" = 00000000 ] ||
			{ echo "${f##*/}: gzip header carries a timestamp"; return 1; }
		entries=$(tar -tzf "$f")
		[ "$entries" = "$(printf '%s\n' helm-netpol "${docs[@]}" | LC_ALL=C sort)" ] ||
			{ echo "${f##*/} holds $(tr '\n' ' ' <<<"$entries"), want helm-netpol ${docs[*]}"; return 1; }
		tar -tvzf "$f" | grep -Eq '^-rwxr-xr-x 0/0 .* helm-netpol$' ||
			{ echo "${f##*/}: helm-netpol is not an 0755 file owned by 0/0: $(tar -tvzf "$f" | tr '\n' ' ')"; return 1; }
		tar -xzf "$f" -C "$x/archive"
		info=$(go version -m "$x/archive/helm-netpol" 2>&1)
		{ grep -q "GOOS=$goos\$" <<<"$info" && grep -q "GOARCH=$goarch\$" <<<"$info" &&
			grep -q 'CGO_ENABLED=0$' <<<"$info" && grep -q -- '-trimpath=true$' <<<"$info"; } ||
			{ echo "${f##*/}: the binary is not a CGO_ENABLED=0 -trimpath build for $goos/$goarch: $(tr '\n' ' ' <<<"$info")"; return 1; }

		f=$dist/netpol-$version-$goos-$goarch.tgz
		entries=$(tar -tzf "$f")
		[ "$entries" = "$(printf '%s\n' bin/ bin/helm-netpol plugin.yaml scripts/ scripts/install-plugin.sh)" ] ||
			{ echo "${f##*/} holds $(tr '\n' ' ' <<<"$entries"), want plugin.yaml at the root with bin/helm-netpol and scripts/install-plugin.sh"; return 1; }
		tar -xzf "$f" -C "$x/netpol"
		{ cmp -s "$x/netpol/plugin.yaml" plugin.yaml && cmp -s "$x/netpol/scripts/install-plugin.sh" scripts/install-plugin.sh &&
			cmp -s "$x/netpol/bin/helm-netpol" "$x/archive/helm-netpol"; } ||
			{ echo "${f##*/}: its plugin.yaml, install-plugin.sh or binary differ from the checkout's or the archive's"; return 1; }

		f=$dist/netpol-postrender-$version-$goos-$goarch.tgz
		entries=$(tar -tzf "$f")
		[ "$entries" = "$(printf '%s\n' netpol-postrender/ netpol-postrender/bin/ netpol-postrender/bin/helm-netpol netpol-postrender/plugin.yaml)" ] ||
			{ echo "${f##*/} holds $(tr '\n' ' ' <<<"$entries"), want netpol-postrender/{plugin.yaml,bin/helm-netpol}"; return 1; }
		tar -xzf "$f" -C "$x/postrender"
		{ cmp -s "$x/postrender/netpol-postrender/plugin.yaml" plugins/netpol-postrender/plugin.yaml &&
			cmp -s "$x/postrender/netpol-postrender/bin/helm-netpol" "$x/archive/helm-netpol"; } ||
			{ echo "${f##*/}: its plugin.yaml or binary differ from the checkout's or the archive's"; return 1; }
	done

	# The host's binary runs and carries the version and the commit.
	rm -rf "$x" && mkdir -p "$x"
	tar -xzf "$dist/helm-netpol_${version}_$(release_platform).tar.gz" -C "$x"
	"$x/helm-netpol" version 2>&1 | grep -Eq "^helm-netpol $version \\(commit ([0-9a-f]{12}(-dirty)?|unknown)\\)\$" ||
		{ echo "the $(release_platform) binary says \"$("$x/helm-netpol" version 2>&1)\", want helm-netpol $version (commit <12 hex digits>)"; return 1; }

	# Reproducible: a second build gives the same bytes.
	scripts/release.sh --snapshot --dist "$again" >/dev/null 2>>"$log" ||
		{ echo "the second scripts/release.sh --snapshot failed: $(tail_of "$log")"; return 1; }
	for f in "${want[@]}" checksums.txt; do
		cmp -s "$dist/$f" "$again/$f" ||
			{ echo "two builds of the same tree differ in $f"; return 1; }
	done
	rm -rf "$again"
}

step_release_helm3_install() {
	need_release || return 1
	local plugin="$work/h3-release-plugin" tmp="$work/h3-release-tmp" log="$work/h3-release-install.log"
	local home=helm3-release out="$work/h3-release-template.yaml" version archive nogo x="$work/h3-release-x"
	version=$(plugin_version)
	archive=helm-netpol_${version}_$(release_platform).tar.gz
	release_www >/dev/null
	serve_start "$work/www" || return 1
	nogo=$(path_without nogo go gofmt)
	if env PATH="$nogo" sh -c 'command -v go' >/dev/null; then
		echo "go is still on the PATH meant to be without it"
		return 1
	fi
	plugin_copy "$plugin"
	mkdir -p "$tmp"
	PATH=$nogo TMPDIR=$tmp HELM_NETPOL_RELEASE_URL="$served/releases/download/v$version" \
		helm_in "$home" 3 plugin install "$plugin" >"$log" 2>&1 ||
		{ echo "helm3 plugin install (Go off PATH) exited $?: $(tail_of "$log")"; return 1; }
	grep -qF "downloading $served/releases/download/v$version/$archive" "$log" ||
		{ echo "the install hook did not say it downloaded $archive: $(tail_of "$log")"; return 1; }
	{ grep -q "^GET /releases/download/v$version/checksums.txt 200 " "$served_log" &&
		grep -q "^GET /releases/download/v$version/$archive 200 curl/" "$served_log"; } ||
		{ echo "the server did not serve checksums.txt and $archive to curl: $(tail_of "$served_log")"; return 1; }
	mkdir -p "$x" && tar -xzf "$work/release/$archive" -C "$x"
	cmp -s "$plugin/bin/helm-netpol" "$x/helm-netpol" ||
		{ echo "$plugin/bin/helm-netpol is not the binary of $archive"; return 1; }
	[ -z "$(names_in "$tmp")" ] || { echo "the install left temporary files: $(names_in "$tmp")"; return 1; }
	PATH=$nogo helm_in "$home" 3 netpol version >"$work/h3-release-version.txt" 2>&1 ||
		{ echo "helm3 netpol version exited $?: $(tail_of "$work/h3-release-version.txt")"; return 1; }
	grep -q "^helm-netpol $version " "$work/h3-release-version.txt" ||
		{ echo "helm3 netpol version says $(tail_of "$work/h3-release-version.txt"), want helm-netpol $version"; return 1; }
	# Helm 3 links the plugin folder into its plugins folder under the folder's name.
	PATH=$nogo helm_in "$home" 3 template rel "$chart" -n ctrl-system -f "$chart/values-netpol.yaml" \
		--post-renderer "$work/$home/data/plugins/${plugin##*/}/bin/helm-netpol" >"$out" 2>"$out.err" ||
		{ echo "helm3 template with the installed plugin's binary exited $?: $(tail_of "$out.err")"; return 1; }
	check_rendered "$out"
}

step_release_helm4_install() {
	need_release || return 1
	local home=helm4-release plugin="$work/h4-release-plugin" tmp="$work/h4-release-tmp" log="$work/h4-release-install.log"
	local version archive path x="$work/h4-release-x" agent=curl/
	version=$(plugin_version)
	archive=helm-netpol_${version}_$(release_platform).tar.gz
	release_www >/dev/null
	serve_start "$work/www" || return 1
	# wget's turn, where there is one.
	if command -v wget >/dev/null; then
		path=$(path_without nogo-nocurl go gofmt curl)
		agent=Wget/
	else
		path=$(path_without nogo go gofmt)
	fi
	plugin_copy "$plugin"
	mkdir -p "$tmp"
	PATH=$path TMPDIR=$tmp HELM_NETPOL_RELEASE_URL="$served/releases/download/v$version" \
		helm_in "$home" 4 plugin install "$plugin/plugins/netpol-postrender" >"$log" 2>&1 ||
		{ echo "helm4 plugin install plugins/netpol-postrender (Go off PATH, ${agent%/}) exited $?: $(tail_of "$log")"; return 1; }
	grep -q 'Installed plugin: netpol-postrender$' "$log" ||
		{ echo "helm4 did not install netpol-postrender: $(tail_of "$log")"; return 1; }
	grep -q "^GET /releases/download/v$version/$archive 200 $agent" "$served_log" ||
		{ echo "the server did not serve $archive to ${agent%/}: $(tail_of "$served_log")"; return 1; }
	mkdir -p "$x" && tar -xzf "$work/release/$archive" -C "$x"
	cmp -s "$plugin/plugins/netpol-postrender/bin/helm-netpol" "$x/helm-netpol" ||
		{ echo "plugins/netpol-postrender/bin/helm-netpol is not the binary of $archive"; return 1; }
	# The root CLI plugin, as a git-URL install registers it, from the same files.
	PATH=$path TMPDIR=$tmp HELM_NETPOL_RELEASE_URL="$served/releases/download/v$version" \
		helm_in "$home" 4 plugin install "$plugin" >"$log.netpol" 2>&1 ||
		{ echo "helm4 plugin install of the root plugin (Go off PATH) exited $?: $(tail_of "$log.netpol")"; return 1; }
	cmp -s "$plugin/bin/helm-netpol" "$x/helm-netpol" ||
		{ echo "bin/helm-netpol of the root plugin is not the binary of $archive"; return 1; }
	PATH=$path helm_in "$home" 4 netpol version 2>&1 | grep -q "^helm-netpol $version " ||
		{ echo "helm4 netpol version does not say helm-netpol $version"; return 1; }
	[ -z "$(names_in "$tmp")" ] || { echo "the installs left temporary files: $(names_in "$tmp")"; return 1; }
	PATH=$path helm4_template_with "$home" "$work/h4-release-template.yaml"
}

step_release_plugin_tarballs() {
	need_release || return 1
	local version base os_arch nogo log="$work/tarball-install.log" dir tgz
	version=$(plugin_version)
	os_arch=$(release_platform)
	os_arch=${os_arch/_/-}
	release_www >/dev/null
	serve_start "$work/www" || return 1
	base="$served/releases/download/v$version"
	nogo=$(path_without nogo go gofmt)
	# Helm 3 installs a tarball by URL only when the server calls it gzip (GitHub's release
	# downloads say application/octet-stream): the netpol tarball is fetched, unpacked into
	# a folder and that folder installed.
	tgz="$work/netpol-$version-$os_arch.tgz"
	curl -fsS -o "$tgz" "$base/netpol-$version-$os_arch.tgz" 2>"$log" ||
		{ echo "could not fetch $base/netpol-$version-$os_arch.tgz: $(tail_of "$log")"; return 1; }
	dir="$work/netpol-from-tarball"
	mkdir -p "$dir" && tar -xzf "$tgz" -C "$dir"
	PATH=$nogo helm_in helm3-tgz 3 plugin install "$dir" >"$log" 2>&1 ||
		{ echo "helm3 plugin install of the unpacked netpol-$version-$os_arch.tgz exited $?: $(tail_of "$log")"; return 1; }
	grep -q "using the helm-netpol $version binary already at" "$log" ||
		{ echo "the hook did not keep the tarball's binary: $(tail_of "$log")"; return 1; }
	PATH=$nogo helm_in helm3-tgz 3 netpol version 2>&1 | grep -q "^helm-netpol $version " ||
		{ echo "helm3 netpol version (from the tarball) does not say helm-netpol $version"; return 1; }
	# Helm 4: the netpol-postrender tarball by URL, unsigned.
	PATH=$nogo helm_in helm4-tgz-url 4 plugin install "$base/netpol-postrender-$version-$os_arch.tgz" --verify=false >"$log.4" 2>&1 ||
		{ echo "helm4 plugin install $base/netpol-postrender-$version-$os_arch.tgz exited $?: $(tail_of "$log.4")"; return 1; }
	dir="$work/helm4-tgz-url/data/plugins/netpol-postrender"
	[ -x "$dir/bin/helm-netpol" ] ||
		{ echo "no executable $dir/bin/helm-netpol: $(names_in "$work/helm4-tgz-url/data/plugins")"; return 1; }
	if grep -q '\.tar\.gz ' "$served_log"; then
		echo "a plugin tarball install downloaded a release archive: $(tail_of "$served_log")"
		return 1
	fi
	PATH=$nogo helm4_template_with helm4-tgz-url "$work/helm4-tgz-url-template.yaml"
}

step_release_tampered() {
	need_release || return 1
	local version archive good bad nogo size byte name=tampered
	version=$(plugin_version)
	archive=helm-netpol_${version}_$(release_platform).tar.gz
	good=$(release_www)
	bad="$work/www/tampered"
	mkdir -p "$bad"
	cp "$good"/* "$bad/"
	# Flip every bit of one byte in the middle of the archive.
	size=$(wc -c <"$bad/$archive")
	byte=$(od -An -tu1 -j $((size / 2)) -N1 "$bad/$archive" | tr -d ' ')
	# shellcheck disable=SC2059 # the format is the byte, as an octal escape
	printf "\\$(printf %03o $((255 - byte)))" |
		dd of="$bad/$archive" bs=1 seek=$((size / 2)) conv=notrunc status=none
	! cmp -s "$good/$archive" "$bad/$archive" || { echo "could not alter $archive"; return 1; }
	serve_start "$work/www" || return 1
	nogo=$(path_without nogo go gofmt)
	failed_install "$name" "$served/tampered" "$nogo" || return 1
	grep -q "^GET /tampered/$archive 200 " "$served_log" ||
		{ echo "the server did not serve the tampered $archive: $(tail_of "$served_log")"; return 1; }
	grep -q "the archive is corrupt or was tampered with, and was refused" "$work/$name.log" ||
		{ echo "no tampered-archive refusal in the output: $(tail_of "$work/$name.log")"; return 1; }
	grep -q 'helm plugin uninstall netpol' "$work/$name.log" ||
		{ echo "the message does not say how to start again: $(tail_of "$work/$name.log")"; return 1; }
	no_binary_left "$work/$name-plugin" "$work/$name-tmp"
}

step_release_download_fails() {
	need_release || return 1
	local nogo name=download-fails url
	release_www >/dev/null
	serve_start "$work/www" || return 1
	url="$served/releases/download/v0.0.0-missing"
	nogo=$(path_without nogo go gofmt)
	failed_install "$name" "$url" "$nogo" || return 1
	grep -qF "the download of $url/checksums.txt failed" "$work/$name.log" ||
		{ echo "the message does not name $url/checksums.txt: $(tail_of "$work/$name.log")"; return 1; }
	grep -q 'HELM_NETPOL_RELEASE_URL' "$work/$name.log" ||
		{ echo "the message does not name HELM_NETPOL_RELEASE_URL: $(tail_of "$work/$name.log")"; return 1; }
	no_binary_left "$work/$name-plugin" "$work/$name-tmp"
}

step_release_unsupported_platform() {
	need_release || return 1
	local nogo fake="$work/fake-uname" name=unsupported-platform
	release_www >/dev/null
	serve_start "$work/www" || return 1
	nogo=$(path_without nogo go gofmt)
	mkdir -p "$fake"
	cat >"$fake/uname" <<-'EOF'
		#!/bin/sh
		case $1 in -m) echo riscv64 ;; *) echo Linux ;; esac
	EOF
	chmod +x "$fake/uname"
	failed_install "$name" "$served/releases/download/v$(plugin_version)" "$fake:$nogo" || return 1
	grep -q 'there is no release binary for this platform (Linux riscv64)' "$work/$name.log" ||
		{ echo "no unsupported-platform message: $(tail_of "$work/$name.log")"; return 1; }
	if [ -s "$served_log" ]; then
		echo "something was downloaded for an unsupported platform: $(tail_of "$served_log")"
		return 1
	fi
	no_binary_left "$work/$name-plugin" "$work/$name-tmp"
}

step_release_no_downloader() {
	need_release || return 1
	local path name=no-downloader
	release_www >/dev/null
	serve_start "$work/www" || return 1
	path=$(path_without nogo-nofetch go gofmt curl wget)
	failed_install "$name" "$served/releases/download/v$(plugin_version)" "$path" || return 1
	grep -q 'neither curl nor wget is on PATH' "$work/$name.log" ||
		{ echo "no message about curl and wget: $(tail_of "$work/$name.log")"; return 1; }
	no_binary_left "$work/$name-plugin" "$work/$name-tmp"
}

step_release_local_folder() {
	need_release || return 1
	local path name=local-folder dir plugin="$work/local-folder-plugin" log="$work/local-folder.log" x="$work/local-folder-x"
	local archive
	archive=helm-netpol_$(plugin_version)_$(release_platform).tar.gz
	dir=$(release_www)
	# An air-gapped copy of the release needs neither a server nor curl or wget.
	path=$(path_without nogo-nofetch go gofmt curl wget)
	plugin_copy "$plugin"
	mkdir -p "$work/local-folder-tmp"
	PATH=$path TMPDIR="$work/local-folder-tmp" HELM_NETPOL_RELEASE_URL="file://$dir/" \
		helm_in local-folder-home 3 plugin install "$plugin" >"$log" 2>&1 ||
		{ echo "helm3 plugin install with HELM_NETPOL_RELEASE_URL=file://$dir/ exited $?: $(tail_of "$log")"; return 1; }
	mkdir -p "$x" && tar -xzf "$dir/$archive" -C "$x"
	cmp -s "$plugin/bin/helm-netpol" "$x/helm-netpol" ||
		{ echo "$plugin/bin/helm-netpol is not the binary of $archive"; return 1; }
	[ -z "$(names_in "$work/local-folder-tmp")" ] ||
		{ echo "the install left temporary files: $(names_in "$work/local-folder-tmp")"; return 1; }
}

# hook PLUGIN_DIR LOG [VAR=VALUE...]: the install hook as Helm runs it (sh, HELM_PLUGIN_DIR),
# with the environment given.
hook() {
	local dir=$1 log=$2
	shift 2
	env "$@" HELM_PLUGIN_DIR="$dir" HELM_PLUGIN_NAME=netpol sh "$dir/scripts/install-plugin.sh" >"$log" 2>&1
}

step_release_install_modes() {
	need_release || return 1
	local version dir plugin log nogo x="$work/modes-x" archive
	version=$(plugin_version)
	archive=helm-netpol_${version}_$(release_platform).tar.gz
	dir=$(release_www)
	mkdir -p "$x" && tar -xzf "$dir/$archive" -C "$x"
	nogo=$(path_without nogo go gofmt)

	# HELM_NETPOL_INSTALL=download: the release binary even with Go and a go.mod there (the
	# go.mod without any source: a build would fail).
	plugin="$work/modes-download"
	plugin_copy "$plugin"
	cp go.mod "$plugin/"
	log="$work/modes-download.log"
	hook "$plugin" "$log" HELM_NETPOL_INSTALL=download HELM_NETPOL_RELEASE_URL="$dir" ||
		{ echo "the hook with HELM_NETPOL_INSTALL=download failed: $(tail_of "$log")"; return 1; }
	cmp -s "$plugin/bin/helm-netpol" "$x/helm-netpol" ||
		{ echo "HELM_NETPOL_INSTALL=download did not install the release binary: $(tail_of "$log")"; return 1; }

	# A binary of another version (left by an older install) is replaced by the release's.
	plugin="$work/modes-update"
	plugin_copy "$plugin"
	mkdir -p "$plugin/bin"
	printf '#!/bin/sh\necho "helm-netpol 0.0.1 (commit old)"\n' >"$plugin/bin/helm-netpol"
	chmod +x "$plugin/bin/helm-netpol"
	log="$work/modes-update.log"
	hook "$plugin" "$log" PATH="$nogo" HELM_NETPOL_RELEASE_URL="$dir" ||
		{ echo "the hook over a binary of version 0.0.1 failed: $(tail_of "$log")"; return 1; }
	cmp -s "$plugin/bin/helm-netpol" "$x/helm-netpol" ||
		{ echo "the binary of version 0.0.1 was kept: $(tail_of "$log")"; return 1; }

	# HELM_NETPOL_INSTALL=build without Go: refused, nothing downloaded or installed.
	plugin="$work/modes-build"
	plugin_copy "$plugin"
	cp go.mod "$plugin/"
	log="$work/modes-build.log"
	if hook "$plugin" "$log" PATH="$nogo" HELM_NETPOL_INSTALL=build HELM_NETPOL_RELEASE_URL="$dir"; then
		echo "the hook with HELM_NETPOL_INSTALL=build and no Go succeeded"
		return 1
	fi
	grep -q 'HELM_NETPOL_INSTALL=build, but go is not on PATH' "$log" ||
		{ echo "no message about HELM_NETPOL_INSTALL=build without Go: $(tail_of "$log")"; return 1; }
	[ ! -e "$plugin/bin" ] || { echo "HELM_NETPOL_INSTALL=build without Go left $plugin/bin"; return 1; }

	# A value it does not know.
	log="$work/modes-bad.log"
	if hook "$plugin" "$log" HELM_NETPOL_INSTALL=binary; then
		echo "the hook with HELM_NETPOL_INSTALL=binary succeeded"
		return 1
	fi
	grep -q 'HELM_NETPOL_INSTALL is "binary"; it must be auto, download or build' "$log" ||
		{ echo "no message about HELM_NETPOL_INSTALL=binary: $(tail_of "$log")"; return 1; }
}
