#!/usr/bin/env bash
# Runs each fuzz target of transform/ (issue #7: no input breaks the tool, nothing is lost,
# nothing is opened by accident) for FUZZTIME each: FuzzReadStream (the stream reader and
# writer), FuzzQuickScan (the scan that lets documents through unparsed must agree with the
# parser), FuzzParseLayer (the config decoder), FuzzProcess (the whole post-render),
# FuzzMarshalYAML (the render's YAML encoding against sigs.k8s.io/yaml's) and FuzzNodeJSON
# (nodeJSON's direct JSON encoding against yaml.v3's decode and json.Marshal).
#
#   FUZZTIME=30s          how long each target runs (a go test -fuzztime: 30s, 5m, 100000x)
#   FUZZ_TARGETS="..."    which targets, by name (default: all six)
#   FUZZMINIMIZETIME=10s  how long to minimize a new input (short keeps the exec rate up)
#
# A failing input is written to transform/testdata/fuzz/<target>/; once the bug is fixed,
# commit it there: it then runs as a regression test with every `go test`. The seed corpora
# beside it (fixture-*) come from the golden fixtures:
#   HELM_NETPOL_FUZZ_SEEDS=write go test ./transform -run TestWriteFuzzSeeds
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fuzztime=${FUZZTIME:-30s}
for target in ${FUZZ_TARGETS:-FuzzReadStream FuzzQuickScan FuzzParseLayer FuzzProcess FuzzMarshalYAML FuzzNodeJSON}; do
	echo "fuzz: $target for $fuzztime" >&2
	go test ./transform -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" \
		-fuzzminimizetime "${FUZZMINIMIZETIME:-10s}"
done
