// Package config owns the settings: the values types of the chart-values shape, their
// defaults, strict decoding of one config document (a Layer; the engines' passthrough
// rules against their CRDs' schemas, passthrough_schemas.json), reading the config
// annotations a carrier holds, merging the layers by Helm's values rules, and the
// validation of the merged config.
//
// It may import findings and manifest.
package config
