// Command otlpsink is an OTLP/HTTP trace receiver that discards what it
// gets: the far end of bench/tracing.sh, so the gateway's export costs
// what it would against a collector, without a collector's own work.
// It answers each export with an empty (protobuf) success and counts
// exports and bytes at /stats.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"sync/atomic"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4318", "address to listen on")
	flag.Parse()
	var exports, bytes atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		exports.Add(1)
		bytes.Add(n)
		// An empty ExportTraceServiceResponse is zero bytes of protobuf.
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "{\"exports\":%d,\"bytes\":%d}\n", exports.Load(), bytes.Load())
	})
	log.Fatal(http.ListenAndServe(*addr, mux))
}
