package osslocal

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"
)

// timeouts bound how long a client may hold a connection without making
// progress, so a slow or stuck client (slowloris) cannot pin the server.
type timeouts struct {
	header time.Duration // to send a request's headers
	idle   time.Duration // between requests on a kept-alive connection
	stall  time.Duration // without a byte of a request body arriving
}

// defaultTimeouts are generous for a person at a terminal or a CI runner on
// a slow disk, short enough that abandoned connections go away. There is
// no whole-request limit: a multi-GiB upload may take as long as it needs
// while bytes keep coming.
var defaultTimeouts = timeouts{header: time.Minute, idle: 2 * time.Minute, stall: time.Minute}

func newHTTPServer(h http.Handler, t timeouts, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           stallGuard(h, t.stall),
		ReadHeaderTimeout: t.header,
		IdleTimeout:       t.idle,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// stallGuard ends a request whose body stops arriving for d: each read
// moves the connection's read deadline d ahead, and the end of the body
// clears it, since http.Server's own ReadTimeout would cap the whole body
// instead.
func stallGuard(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			rc := http.NewResponseController(w)
			if rc.SetReadDeadline(time.Now().Add(d)) == nil {
				r.Body = &progressBody{ReadCloser: r.Body, rc: rc, d: d}
			}
		}
		h.ServeHTTP(w, r)
	})
}

type progressBody struct {
	io.ReadCloser
	rc *http.ResponseController
	d  time.Duration
}

func (b *progressBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		// The server reads ahead on an idle connection after the body;
		// a deadline left behind would cut a handler still working.
		_ = b.rc.SetReadDeadline(time.Time{})
	} else if err == nil {
		_ = b.rc.SetReadDeadline(time.Now().Add(b.d))
	}
	return n, err
}
