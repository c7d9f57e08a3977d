package argocd

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestParseEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		environ []string
		want    Settings
	}{
		{name: "nothing set"},
		{name: "other variables are not ours", environ: []string{"ARGOCD_ENV_FOO=bar", "ARGOCD_APP_NAME=rel", "PARAM_ENGINE=calcio"}},
		{name: "empty parameter list", environ: []string{`ARGOCD_APP_PARAMETERS=[]`}},
		{name: "blank parameter list", environ: []string{`ARGOCD_APP_PARAMETERS= `}},
		{name: "enabled true", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"enabled","string":"true"}]`}, want: Settings{Enabled: ptr(true)}},
		{name: "enabled false", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"enabled","string":"false"}]`}, want: Settings{Enabled: ptr(false)}},
		{name: "enabled empty is unset", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"enabled","string":""}]`}},
		{name: "engine kubernetes", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"kubernetes"}]`}, want: Settings{Engine: "kubernetes"}},
		{name: "engine cilium", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"cilium"}]`}, want: Settings{Engine: "cilium"}},
		{name: "engine calico", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"calico"}]`}, want: Settings{Engine: "calico"}},
		{name: "engine clusterNetworkPolicy", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"clusterNetworkPolicy"}]`}, want: Settings{Engine: "clusterNetworkPolicy"}},
		{name: "engine empty is unset", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engine","string":""}]`}},
		{name: "default-deny", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"default-deny","string":"true"}]`}, want: Settings{DefaultDeny: ptr(true)}},
		{name: "egress", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"egress","string":"false"}]`}, want: Settings{Egress: ptr(false)}},
		{name: "strict", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"strict","string":"true"}]`}, want: Settings{Strict: ptr(true)}},
		{name: "values-files", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":["a.yaml","../b.yaml"]}]`}, want: Settings{ValuesFiles: []string{"a.yaml", "../b.yaml"}}},
		{name: "values-files empty", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":[]}]`}, want: Settings{ValuesFiles: []string{}}},
		{name: "release-name", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"release-name","string":"ctrl"}]`}, want: Settings{ReleaseName: "ctrl"}},
		{name: "config", environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"config","string":"networkPolicy: {enabled: true}"}]`}, want: Settings{Config: "networkPolicy: {enabled: true}"}},
		{
			name: "all parameters at once",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"enabled","string":"true"},{"name":"engine","string":"calico"},` +
				`{"name":"default-deny","string":"true"},{"name":"egress","string":"true"},{"name":"strict","string":"false"},{"name":"values-files","array":["v.yaml"]},` +
				`{"name":"release-name","string":"r"},{"name":"config","string":"ports: {metrics: 9090}"}]`},
			want: Settings{Enabled: ptr(true), Engine: "calico", DefaultDeny: ptr(true), Egress: ptr(true), Strict: ptr(false), ValuesFiles: []string{"v.yaml"}, ReleaseName: "r", Config: "ports: {metrics: 9090}"},
		},
		{
			name: "every parameter as a plugin env variable",
			environ: []string{"ARGOCD_ENV_NETPOL_ENABLED=true", "ARGOCD_ENV_NETPOL_ENGINE=cilium", "ARGOCD_ENV_NETPOL_DEFAULT_DENY=false",
				"ARGOCD_ENV_NETPOL_EGRESS=true", "ARGOCD_ENV_NETPOL_STRICT=true", "ARGOCD_ENV_NETPOL_VALUES_FILES=a.yaml, b.yaml,,", "ARGOCD_ENV_NETPOL_RELEASE_NAME=r",
				"ARGOCD_ENV_NETPOL_CONFIG=networkPolicy: {}"},
			want: Settings{Enabled: ptr(true), Engine: "cilium", DefaultDeny: ptr(false), Egress: ptr(true), Strict: ptr(true), ValuesFiles: []string{"a.yaml", "b.yaml"}, ReleaseName: "r", Config: "networkPolicy: {}"},
		},
		{
			name:    "parameter and variable agree",
			environ: []string{"ARGOCD_ENV_NETPOL_ENGINE=cilium", `ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"cilium"}]`},
			want:    Settings{Engine: "cilium"},
		},
		{
			name:    "a variable set twice counts once, the last",
			environ: []string{"ARGOCD_ENV_NETPOL_ENGINE=calcio", "ARGOCD_ENV_NETPOL_ENGINE=calico"},
			want:    Settings{Engine: "calico"},
		},
		{
			name:    "unknown fields of an entry are Argo CD's business",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"cilium","future":1}]`},
			want:    Settings{Engine: "cilium"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseEnv(tc.environ)
			if err != nil {
				t.Fatalf("ParseEnv: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEnvRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		environ []string
		want    []string // the lines of the error, in order
	}{
		{
			name:    "not JSON",
			environ: []string{`ARGOCD_APP_PARAMETERS={"name":"engine"`},
			want:    []string{`helm-netpol: argocd: ARGOCD_APP_PARAMETERS: not a JSON list of parameters ([{"name": "engine", "string": "cilium"}]): unexpected EOF`},
		},
		{
			name:    "not a list",
			environ: []string{`ARGOCD_APP_PARAMETERS={"name":"engine","string":"cilium"}`},
			want:    []string{`helm-netpol: argocd: ARGOCD_APP_PARAMETERS: not a JSON list of parameters ([{"name": "engine", "string": "cilium"}]): json: cannot unmarshal object into Go value of type []argocd.appParameter`},
		},
		{
			name:    "two JSON values",
			environ: []string{`ARGOCD_APP_PARAMETERS=[] []`},
			want:    []string{`helm-netpol: argocd: ARGOCD_APP_PARAMETERS: more than one JSON value`},
		},
		{
			name:    "an entry without a name",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"string":"cilium"}]`},
			want:    []string{`helm-netpol: argocd: ARGOCD_APP_PARAMETERS: entry 0 has no name`},
		},
		{
			name:    "unknown parameter",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engin","string":"cilium"}]`},
			want:    []string{`helm-netpol: argocd: parameter engin: unknown parameter: want one of enabled, engine, default-deny, egress, strict, values-files, release-name, config`},
		},
		{
			name:    "a Helm-style map parameter is unknown",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"helm-parameters","map":{"image.tag":"v1"}}]`},
			want:    []string{`helm-netpol: argocd: parameter helm-parameters: unknown parameter: want one of enabled, engine, default-deny, egress, strict, values-files, release-name, config`},
		},
		{
			name:    "unknown plugin env variable",
			environ: []string{"ARGOCD_ENV_NETPOL_DEFAULTDENY=true"},
			want: []string{`helm-netpol: argocd: ARGOCD_ENV_NETPOL_DEFAULTDENY: unknown variable: want one of ARGOCD_ENV_NETPOL_ENABLED, ARGOCD_ENV_NETPOL_ENGINE, ` +
				`ARGOCD_ENV_NETPOL_DEFAULT_DENY, ARGOCD_ENV_NETPOL_EGRESS, ARGOCD_ENV_NETPOL_STRICT, ARGOCD_ENV_NETPOL_VALUES_FILES, ARGOCD_ENV_NETPOL_RELEASE_NAME, ARGOCD_ENV_NETPOL_CONFIG`},
		},
		{
			name:    "a parameter given twice",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"cilium"},{"name":"engine","string":"cilium"}]`},
			want:    []string{`helm-netpol: argocd: parameter engine: given twice`},
		},
		{
			name:    "parameter and variable disagree",
			environ: []string{"ARGOCD_ENV_NETPOL_EGRESS=false", `ARGOCD_APP_PARAMETERS=[{"name":"egress","string":"true"}]`},
			want:    []string{`helm-netpol: argocd: ARGOCD_ENV_NETPOL_EGRESS "false" and parameter egress "true" disagree: set one of them`},
		},
		{
			name:    "values files of parameter and variable disagree",
			environ: []string{"ARGOCD_ENV_NETPOL_VALUES_FILES=a.yaml", `ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":["b.yaml"]}]`},
			want:    []string{`helm-netpol: argocd: ARGOCD_ENV_NETPOL_VALUES_FILES ["a.yaml"] and parameter values-files ["b.yaml"] disagree: set one of them`},
		},
		{
			name:    "engine misspelt",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"calcio"}]`},
			want:    []string{`helm-netpol: argocd: parameter engine: "calcio" is not an engine: want one of kubernetes, cilium, calico, clusterNetworkPolicy`},
		},
		{
			name:    "engine in the wrong case",
			environ: []string{"ARGOCD_ENV_NETPOL_ENGINE=Cilium"},
			want:    []string{`helm-netpol: argocd: ARGOCD_ENV_NETPOL_ENGINE: "Cilium" is not an engine: want one of kubernetes, cilium, calico, clusterNetworkPolicy`},
		},
		{
			name:    "engine as an array",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engine","array":["cilium"]}]`},
			want:    []string{`helm-netpol: argocd: parameter engine: is a string parameter: set string:, not array:`},
		},
		{
			name:    "engine as a map",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engine","map":{"a":"cilium"}}]`},
			want:    []string{`helm-netpol: argocd: parameter engine: is a string parameter: set string:, not map:`},
		},
		{
			name:    "engine as string and array",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"cilium","array":["calico"]}]`},
			want:    []string{`helm-netpol: argocd: parameter engine: has more than one of string, array and map: want only string`},
		},
		{
			name:    "enabled yes",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"enabled","string":"yes"}]`},
			want:    []string{`helm-netpol: argocd: parameter enabled: "yes" is not a boolean: want true or false`},
		},
		{
			name:    "default-deny 1",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"default-deny","string":"1"}]`},
			want:    []string{`helm-netpol: argocd: parameter default-deny: "1" is not a boolean: want true or false`},
		},
		{
			name:    "default-deny True",
			environ: []string{"ARGOCD_ENV_NETPOL_DEFAULT_DENY=True"},
			want:    []string{`helm-netpol: argocd: ARGOCD_ENV_NETPOL_DEFAULT_DENY: "True" is not a boolean: want true or false`},
		},
		{
			name:    "default-deny as an array",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"default-deny","array":["true"]}]`},
			want:    []string{`helm-netpol: argocd: parameter default-deny: is a string parameter: set string:, not array:`},
		},
		{
			name:    "egress on",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"egress","string":"on"}]`},
			want:    []string{`helm-netpol: argocd: parameter egress: "on" is not a boolean: want true or false`},
		},
		{
			name:    "strict TRUE",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"strict","string":"TRUE"}]`},
			want:    []string{`helm-netpol: argocd: parameter strict: "TRUE" is not a boolean: want true or false`},
		},
		{
			name:    "values-files as a string",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"values-files","string":"a.yaml"}]`},
			want:    []string{`helm-netpol: argocd: parameter values-files: is an array parameter: set array:, not string:`},
		},
		{
			name:    "values-files as a map",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"values-files","map":{"a":"a.yaml"}}]`},
			want:    []string{`helm-netpol: argocd: parameter values-files: is an array parameter: set array:, not map:`},
		},
		{
			name:    "values-files with an empty name",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"values-files","array":["a.yaml"," "]}]`},
			want:    []string{`helm-netpol: argocd: parameter values-files: an empty file name`},
		},
		{
			name:    "release-name as an array",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"release-name","array":["r"]}]`},
			want:    []string{`helm-netpol: argocd: parameter release-name: is a string parameter: set string:, not array:`},
		},
		{
			name:    "config as a map",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"config","map":{"networkPolicy.enabled":"true"}}]`},
			want:    []string{`helm-netpol: argocd: parameter config: is a string parameter: set string:, not map:`},
		},
		{
			name: "every problem is listed",
			environ: []string{"ARGOCD_ENV_NETPOL_EGRES=true",
				`ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"calcio"},{"name":"default-deny","string":"yes"},{"name":"x","string":""}]`},
			want: []string{
				`helm-netpol: argocd: parameter x: unknown parameter: want one of enabled, engine, default-deny, egress, strict, values-files, release-name, config`,
				`helm-netpol: argocd: ARGOCD_ENV_NETPOL_EGRES: unknown variable: want one of ARGOCD_ENV_NETPOL_ENABLED, ARGOCD_ENV_NETPOL_ENGINE, ` +
					`ARGOCD_ENV_NETPOL_DEFAULT_DENY, ARGOCD_ENV_NETPOL_EGRESS, ARGOCD_ENV_NETPOL_STRICT, ARGOCD_ENV_NETPOL_VALUES_FILES, ARGOCD_ENV_NETPOL_RELEASE_NAME, ARGOCD_ENV_NETPOL_CONFIG`,
				`helm-netpol: argocd: parameter engine: "calcio" is not an engine: want one of kubernetes, cilium, calico, clusterNetworkPolicy`,
				`helm-netpol: argocd: parameter default-deny: "yes" is not a boolean: want true or false`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseEnv(tc.environ)
			if err == nil {
				t.Fatal("ParseEnv accepted it")
			}
			if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("error lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLayer(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Settings
		want string
	}{
		{name: "nothing set makes no layer"},
		{name: "values files, release name and strict make no layer", s: Settings{ValuesFiles: []string{"a.yaml"}, ReleaseName: "r", Strict: ptr(true)}},
		{name: "a blank config makes no layer", s: Settings{Config: "\n  \n"}},
		{
			name: "config alone is passed as written",
			s:    Settings{Config: "# mine\nnetworkPolicy: {enabled: true, engine: cilium}\n"},
			want: "# mine\nnetworkPolicy: {enabled: true, engine: cilium}\n",
		},
		{
			name: "typed settings alone",
			s:    Settings{Enabled: ptr(true), Engine: "calico", DefaultDeny: ptr(true), Egress: ptr(false)},
			want: "networkPolicy:\n  enabled: true\n  engine: calico\n  defaultDeny:\n    enabled: true\n  egress:\n    enabled: false\n",
		},
		{
			name: "typed settings go into the config",
			s: Settings{Engine: "cilium", DefaultDeny: ptr(true), Config: "networkPolicy:\n  enabled: true\n  defaultDeny:\n    order: 100\n" +
				"  metrics:\n    from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]\nports: {metrics: 9090}\n"},
			want: "networkPolicy:\n  enabled: true\n  defaultDeny:\n    order: 100\n    enabled: true\n" +
				"  metrics:\n    from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]\n  engine: cilium\nports: {metrics: 9090}\n",
		},
		{
			name: "a typed setting may repeat the config",
			s:    Settings{Egress: ptr(true), Config: "networkPolicy: {egress: {enabled: true, dns: false}}"},
			want: "networkPolicy: {egress: {enabled: true, dns: false}}\n",
		},
		{
			name: "a null networkPolicy is filled",
			s:    Settings{Enabled: ptr(false), Config: "networkPolicy:\n"},
			want: "networkPolicy:\n  enabled: false\n",
		},
		{
			name: "a config of null",
			s:    Settings{Engine: "cilium", Config: "~"},
			want: "networkPolicy:\n  engine: cilium\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.s.Layer()
			if err != nil {
				t.Fatalf("Layer: %v", err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("layer (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLayerRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Settings
		want string
	}{
		{
			name: "config not YAML",
			s:    Settings{Config: "networkPolicy: {enabled: true"},
			want: "helm-netpol: argocd: parameter config: not YAML: yaml: line 1: did not find expected ',' or '}'",
		},
		{
			name: "config not YAML, with a typed setting",
			s:    Settings{Engine: "cilium", Config: "networkPolicy: [}"},
			want: "helm-netpol: argocd: parameter config: not YAML: yaml: did not find expected node content",
		},
		{
			name: "config a list",
			s:    Settings{Config: "- networkPolicy: {}"},
			want: "helm-netpol: argocd: parameter config: not a mapping: want a config document (networkPolicy: {enabled: true, ...})",
		},
		{
			name: "config a scalar",
			s:    Settings{Engine: "cilium", Config: "cilium"},
			want: "helm-netpol: argocd: parameter config: not a mapping: want a config document (networkPolicy: {enabled: true, ...})",
		},
		{
			name: "config two documents",
			s:    Settings{Config: "networkPolicy: {}\n---\nports: {}\n"},
			want: "helm-netpol: argocd: parameter config: more than one YAML document: want one config document",
		},
		{
			name: "engine disagrees with config",
			s:    Settings{Engine: "calico", Config: "networkPolicy: {engine: cilium}"},
			want: `helm-netpol: argocd: parameter engine "calico" and parameter config's networkPolicy.engine "cilium" disagree: set one of them`,
		},
		{
			name: "enabled disagrees with config",
			s:    Settings{Enabled: ptr(true), Config: "networkPolicy: {enabled: false}"},
			want: `helm-netpol: argocd: parameter enabled true and parameter config's networkPolicy.enabled "false" disagree: set one of them`,
		},
		{
			name: "default-deny against a string in config",
			s:    Settings{DefaultDeny: ptr(true), Config: "networkPolicy: {defaultDeny: {enabled: \"true\"}}"},
			want: `helm-netpol: argocd: parameter default-deny true and parameter config's networkPolicy.defaultDeny.enabled "true" disagree: set one of them`,
		},
		{
			name: "egress against a mapping in config",
			s:    Settings{Egress: ptr(true), Config: "networkPolicy: {egress: {enabled: {}}}"},
			want: `helm-netpol: argocd: parameter egress true and parameter config's networkPolicy.egress.enabled (not a scalar) disagree: set one of them`,
		},
		{
			name: "default-deny where config has no mapping",
			s:    Settings{DefaultDeny: ptr(true), Config: "networkPolicy: {defaultDeny: true}"},
			want: "helm-netpol: argocd: parameter config: networkPolicy.defaultDeny: not a mapping, so parameter default-deny cannot set networkPolicy.defaultDeny.enabled",
		},
		{
			name: "every disagreement is listed",
			s:    Settings{Engine: "calico", Egress: ptr(false), Config: "networkPolicy: {engine: cilium, egress: [x]}"},
			want: `helm-netpol: argocd: parameter engine "calico" and parameter config's networkPolicy.engine "cilium" disagree: set one of them` + "\n" +
				"helm-netpol: argocd: parameter config: networkPolicy.egress: not a mapping, so parameter egress cannot set networkPolicy.egress.enabled",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.s.Layer()
			if err == nil {
				t.Fatalf("Layer accepted it: %q", got)
			}
			if got != nil {
				t.Errorf("Layer returned a layer with its error: %q", got)
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}
