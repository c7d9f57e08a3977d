#!/usr/bin/env bash
# Regenerates fixtures/<case>/input.yaml for every case that has a config.yaml: the fixture
# chart rendered by the pinned Helm 3 with that config pasted, unchanged, into the pod
# annotation helm-netpol.io/config. Extra helm flags for a case go in its helm-args file.
# Then refresh the goldens with: go test . -update
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh >&2
for cfg in fixtures/*/config.yaml; do
  dir=$(dirname "$cfg")
  extra=()
  if [ -f "$dir/helm-args" ]; then
    while IFS= read -r line; do [ -n "$line" ] && extra+=("$line"); done < "$dir/helm-args"
  fi
  .bin/helm3 template rel fixtures/charts/controller -n ctrl-system \
    --set-file "podAnnotations.helm-netpol\.io/config=$cfg" "${extra[@]}" > "$dir/input.yaml"
  echo "wrote $dir/input.yaml" >&2
done
