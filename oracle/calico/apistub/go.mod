module github.com/projectcalico/api

go 1.24
