package sessionweb_test

import (
	"context"
	"log"
	"net/http"

	"github.com/sessionkit/sessionkit/client/session"
	"github.com/sessionkit/sessionkit/client/txn"
	"github.com/sessionkit/sessionkit/program/examplegame"
	"github.com/sessionkit/sessionkit/sessionweb"
)

// A backend mounts the handlers and the page beside its own routes; the relay key pays
// the fees of browser-held sessions and co-signs only what their policy accepts.
func Example() {
	ctx := context.Background()
	m, err := session.Dial(ctx, "http://127.0.0.1:8899")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	relay, err := txn.GenerateSessionKey(nil) // fund it: it pays browser-held moves
	if err != nil {
		log.Fatal(err)
	}
	game := examplegame.Game{ID: examplegame.ProgramID}
	srv, err := sessionweb.New(m, game.ID, sessionweb.ExampleGame(game),
		sessionweb.WithRelay(relay), sessionweb.WithOrigins("https://game.example"))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	mux := http.NewServeMux()
	mux.Handle("/api/", srv.Handler())
	mux.Handle("/sessionkit/", http.StripPrefix("/sessionkit", sessionweb.Static())) // sessionkit.js
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", mux))
}
