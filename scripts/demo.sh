#!/usr/bin/env bash
# The main job on the bundled example chart: the pinned Helm 3 renders
# fixtures/charts/controller with its config in the pod annotation, and helm-netpol, as the
# post-renderer, removes the annotation and appends the policies. Prints only the
# documents helm-netpol added; pass --all to see the whole stream.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/tools.sh helm3 >&2
go build -o .bin/helm-netpol .
out=$(.bin/helm3 template demo fixtures/charts/controller -n demo \
	-f fixtures/charts/controller/values-netpol.yaml --post-renderer .bin/helm-netpol)
if [ "${1:-}" = --all ]; then
	printf '%s\n' "$out"
else
	printf '%s\n' "$out" | awk '/^---$/ { if (doc ~ /# Source: helm-netpol\//) printf "%s", doc; doc = "" } { doc = doc $0 "\n" } END { if (doc ~ /# Source: helm-netpol\//) printf "%s", doc }'
fi
