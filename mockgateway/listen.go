package mockgateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Running is a gateway serving on a TCP address.
type Running struct {
	// URL is the base URL for API and login, e.g. http://127.0.0.1:41234;
	// 127.0.0.1 when the gateway listens on every interface.
	URL    string
	Server *Server
	http   *http.Server
	done   chan error
}

// Start serves a new gateway on 127.0.0.1 at a free port, in the spirit of
// httptest.NewServer. Call Shutdown when done.
func Start(opts Options) (*Running, error) { return Listen("127.0.0.1:0", opts) }

// Listen serves a new gateway on addr. Call Shutdown when done.
func Listen(addr string, opts Options) (*Running, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mockgateway: listen %s: %w", addr, err)
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		// OPTIONS * reaches the gateway (a 404 with the Genesys body)
		// instead of net/http's bare 200.
		DisableGeneralOptionsHandler: true,
	}
	r := &Running{URL: baseURL(ln.Addr()), Server: s, http: hs, done: make(chan error, 1)}
	go func() {
		err := hs.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		r.done <- err
	}()
	return r, nil
}

// Shutdown stops accepting connections, lets in-flight requests finish
// (until ctx ends), then flushes the access log.
func (r *Running) Shutdown(ctx context.Context) error {
	err := r.http.Shutdown(ctx)
	if serr := <-r.done; err == nil {
		err = serr
	}
	if cerr := r.Server.Close(); err == nil {
		err = cerr
	}
	return err
}

// baseURL returns the URL a client on this machine reaches a listener on
// a at: a listener on every interface (":8080", "0.0.0.0:8080",
// "[::]:8080") is reached at 127.0.0.1.
func baseURL(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
	}
	return "http://" + a.String()
}
