//go:build ignore

// serve is the e2e's stand-in for a release download server (scripts/e2e-release.sh):
// it serves the files of -dir over HTTP on 127.0.0.1, on a free port that it writes to
// -addr-file as host:port once it listens, and logs one line per request to -log
// ("GET /path 200 curl/8.0.1": method, path, status, user agent). It stops by itself: when the process that started it exits, or
// after -max at the latest.
//
//	go build -o serve scripts/serve.go
//	serve -dir DIR -addr-file FILE [-log FILE] [-max 10m]
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func main() {
	dir := flag.String("dir", "", "folder to serve")
	addrFile := flag.String("addr-file", "", "where to write host:port once listening")
	logFile := flag.String("log", "", "request log (default: none)")
	maxLife := flag.Duration("max", 10*time.Minute, "stop after this long at the latest")
	flag.Parse()
	if *dir == "" || *addrFile == "" {
		log.Fatal("serve: -dir and -addr-file are required")
	}

	var mu sync.Mutex
	var requests *os.File
	if *logFile != "" {
		f, err := os.Create(*logFile)
		if err != nil {
			log.Fatal(err)
		}
		requests = f
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	files := http.FileServer(http.Dir(*dir))
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		files.ServeHTTP(rec, r)
		if requests != nil {
			mu.Lock()
			fmt.Fprintf(requests, "%s %s %d %s\n", r.Method, r.URL.Path, rec.status, r.UserAgent())
			mu.Unlock()
		}
	})

	// The address file appears whole: written beside, then renamed.
	tmp := *addrFile + ".tmp"
	if err := os.WriteFile(tmp, []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, *addrFile); err != nil {
		log.Fatal(err)
	}

	parent := os.Getppid()
	go func() {
		deadline := time.Now().Add(*maxLife)
		for time.Now().Before(deadline) && os.Getppid() == parent {
			time.Sleep(200 * time.Millisecond)
		}
		os.Exit(0)
	}()
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.Serve(ln))
}
