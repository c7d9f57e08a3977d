module github.com/helm-netpol/helm-netpol/oracle/probe

go 1.26.6

require sigs.k8s.io/yaml v1.6.0

require go.yaml.in/yaml/v2 v2.4.2 // indirect
