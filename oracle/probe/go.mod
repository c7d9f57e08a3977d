module github.com/helm-netpol/helm-netpol/oracle/probe

go 1.26.6
