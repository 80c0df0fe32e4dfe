package faultproxy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An echo server that answers every message with a notification and then the message:
// the proxy drops the notifications it is told to and forwards the rest, and a cut ends
// the connection while new ones work.
func TestWSDropsNotificationsAndCuts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			_ = c.WriteMessage(websocket.TextMessage, []byte(`{"jsonrpc":"2.0","method":"signatureNotification","params":{}}`))
			_ = c.WriteMessage(websocket.TextMessage, data)
		}
	}))
	t.Cleanup(srv.Close)
	p := NewWS(t, "ws"+strings.TrimPrefix(srv.URL, "http"))
	dial := func() *websocket.Conn {
		c, _, err := websocket.DefaultDialer.Dial(p.URL(), nil)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
		return c
	}
	read := func(c *websocket.Conn) string {
		_, data, err := c.ReadMessage()
		require.NoError(t, err)
		return string(data)
	}

	c := dial()
	require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte(`{"id":1}`)))
	assert.Contains(t, read(c), "signatureNotification", "passes until told otherwise")
	assert.Equal(t, `{"id":1}`, read(c))
	require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte(`{"id":9,"method":"signatureSubscribe"}`)))
	read(c)
	read(c)
	assert.Equal(t, 1, p.Forwarded("signatureSubscribe"))

	p.DropNotifications("signatureNotification")
	require.NoError(t, c.WriteMessage(websocket.TextMessage, []byte(`{"id":2}`)))
	assert.Equal(t, `{"id":2}`, read(c), "the notification before it is dropped")
	assert.Equal(t, 1, p.Dropped())

	p.Cut()
	_, _, err := c.ReadMessage()
	require.Error(t, err, "cut")
	again := dial()
	require.NoError(t, again.WriteMessage(websocket.TextMessage, []byte(`{"id":3}`)))
	assert.Equal(t, `{"id":3}`, read(again))
}
