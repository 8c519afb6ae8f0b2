package mockgateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// ErrDropped is returned by the in-process transport for a request whose
// connection the gateway dropped (the drop fault).
var ErrDropped = errors.New("mockgateway: connection dropped by the gateway")

// Transport returns an http.RoundTripper that serves requests with s in the
// calling goroutine: no sockets, no goroutines, no timers. With a Server
// built on a virtual clock (Options.Now and Options.Sleep), a client using
// this transport runs against the gateway entirely in virtual time. Any
// host in the request URL reaches s.
func (s *Server) Transport() http.RoundTripper { return transport{s} }

type transport struct{ h http.Handler }

// memWriter is a minimal http.ResponseWriter that becomes an *http.Response.
type memWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *memWriter) Header() http.Header { return w.header }
func (w *memWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *memWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.body.Cap() == 0 {
		// Room for the JSON bodies' trailing newline: one allocation.
		w.body.Grow(len(b) + 16)
	}
	return w.body.Write(b)
}

func (t transport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	w := &memWriter{header: make(http.Header, 6)}
	defer func() {
		if req.Body != nil {
			req.Body.Close()
		}
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				resp, err = nil, ErrDropped
				return
			}
			panic(fmt.Sprint("mockgateway: handler panic: ", p))
		}
	}()
	if req.Body == nil {
		// Handlers expect a non-nil body, as servers provide.
		req.Body = http.NoBody
	}
	t.h.ServeHTTP(w, req)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status:        strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(&w.body),
		ContentLength: int64(w.body.Len()),
		Request:       req,
	}, nil
}
