#!/usr/bin/env bash
# Runs every test of the project: formatting and vet, the product module's tests (golden
# fixtures, CLI scripts, in-process Helm), the oracle modules' (the Kubernetes API's
# NetworkPolicy validation, the CRD schemas, Cilium's sanitizer and verdicts, trace's
# verdicts against Cilium's policy resolution and cyclonus's NetworkPolicy matcher,
# Calico's verdicts, the four dialects against each other), then the end-to-end script
# with the pinned Helm 3, Helm 4 and kustomize binaries. The fuzz targets run for
# FUZZTIME each (10s by default).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change: $unformatted" >&2
	exit 1
fi
go vet ./...
# The pinned tools first: TestDocs runs the documented commands with them, and building
# them inside its test binary would count against go test's timeout on a cold machine.
scripts/tools.sh
go test -timeout 30m ./...
(cd oracle && go vet ./... && go test -timeout 30m ./...)
(cd oracle/cilium && go vet ./... && go test ./...)
(cd oracle/cyclonus && go vet ./... && go test ./...)
(cd oracle/calico && go vet ./... && go test ./...)
(cd test/helm4 && go vet ./... && go test ./...)
FUZZTIME=${FUZZTIME:-10s} scripts/fuzz.sh
scripts/e2e.sh
