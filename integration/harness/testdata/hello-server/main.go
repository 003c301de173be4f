// Command hello-server is the app server of the harness's test buildpack: it answers GET /
// with JSON naming the contents of ./hello.txt, its uid, and $HELLO_FROM, on $PORT (8080 by
// default). On SIGTERM it shuts down and exits 0. It is compiled statically at test time and
// copied into the buildpack.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		hello, err := os.ReadFile("hello.txt")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"hello": strings.TrimSpace(string(hello)),
			"uid":   os.Getuid(),
			"from":  os.Getenv("HELLO_FROM"),
		})
	})
	srv := &http.Server{Addr: ":" + port}
	go func() {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		<-ctx.Done()
		log.Printf("hello-server: SIGTERM, shutting down")
		_ = srv.Shutdown(context.Background())
	}()
	log.Printf("hello-server listening on :%s", port)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
