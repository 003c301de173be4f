// Command hello-server is the app server of the harness's test buildpack: it answers GET /
// with JSON naming the contents of ./hello.txt, its uid, and $HELLO_FROM, on $PORT (8080 by
// default). It is compiled statically at test time and copied into the buildpack.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
	"strings"
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
	log.Printf("hello-server listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
