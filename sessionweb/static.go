package sessionweb

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Static serves the ES module (/sessionkit.js) and the demo page (/, /app.js).
func Static() http.Handler {
	sub, _ := fs.Sub(static, "static") // the embedded tree has it
	files := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// Mux is the API and the static files on one handler, as `sessionkit web` serves them.
func (s *Server) Mux() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", s.Handler())
	mux.Handle("/", Static())
	return mux
}
