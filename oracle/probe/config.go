package probe

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

// ConfigAnnotation is the annotation that carries helm-netpol's config.
const ConfigAnnotation = "helm-netpol.io/config"

// EditConfigs calls edit on every helm-netpol.io/config annotation found anywhere in obj
// (an object decoded from YAML: the carrier's own annotations, a pod template's), with
// the annotation's config decoded, and writes the config edit leaves back as YAML. An
// annotation that holds no config (empty, a comment) is left as it is.
func EditConfigs(obj map[string]any, edit func(cfg map[string]any)) error {
	for k, v := range obj {
		switch v := v.(type) {
		case map[string]any:
			if err := EditConfigs(v, edit); err != nil {
				return err
			}
		case []any:
			for _, e := range v {
				if m, ok := e.(map[string]any); ok {
					if err := EditConfigs(m, edit); err != nil {
						return err
					}
				}
			}
		case string:
			if k != ConfigAnnotation {
				continue
			}
			var cfg map[string]any
			if err := yaml.Unmarshal([]byte(v), &cfg); err != nil {
				return fmt.Errorf("annotation %s: %w", k, err)
			}
			if cfg == nil {
				continue
			}
			edit(cfg)
			text, err := yaml.Marshal(cfg)
			if err != nil {
				return err
			}
			obj[k] = string(text)
		}
	}
	return nil
}
