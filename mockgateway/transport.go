package mockgateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// ErrDropped is returned by the in-process transport for a request whose
// connection the gateway dropped (the drop fault).
var ErrDropped = errors.New("mockgateway: connection dropped by the gateway")

// Transport returns an http.RoundTripper that serves requests with s in the
// calling goroutine: no sockets, no goroutines, no timers. With a Server
// built on a virtual clock (Options.Clock), a client using
// this transport runs against the gateway entirely in virtual time. Any
// host in the request URL reaches s.
func (s *Server) Transport() http.RoundTripper { return transport{h: s} }

// RecyclingTransport is Transport for callers that are done with a
// response once they close its body: closing it hands the *http.Response,
// its Header and its body back to be reused by a later request. A caller
// must not touch any of them after Close, nor close a body twice. The
// probe's client keeps to that, and virtual runs use this transport: a
// response then costs no allocation.
func (s *Server) RecyclingTransport() http.RoundTripper { return transport{h: s, recycle: true} }

type transport struct {
	h       http.Handler
	recycle bool
}

// memWriters recycles the writers of RecyclingTransport's responses.
var memWriters = sync.Pool{New: func() any { return &memWriter{header: make(http.Header, 6), recycle: true} }}

// memWriter is a minimal http.ResponseWriter that becomes the
// *http.Response and its body, all in one allocation.
type memWriter struct {
	resp   http.Response
	header http.Header
	status int
	body   []byte
	off    int    // read offset
	shared bool   // body is someone else's (writeShared): copy before appending
	spare  []byte // the writer's own buffer, kept while body is shared
	// recycle: Close returns the writer, with its response, to memWriters.
	recycle bool
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
	if cap(w.body) == 0 || w.shared {
		// Room for the JSON bodies' trailing newline: one allocation.
		buf := make([]byte, len(w.body), len(w.body)+len(b)+16)
		copy(buf, w.body)
		w.body, w.shared = buf, false
	}
	w.body = append(w.body, b...)
	return len(b), nil
}

// writeShared makes b the body without copying it: b must never be
// modified (the gateway's cached user bodies).
func (w *memWriter) writeShared(b []byte) {
	if len(w.body) > 0 {
		_, _ = w.Write(b)
		return
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.spare = w.body[:0]
	w.body, w.shared = b, true
}

// Read and Close make the writer its response's body.
func (w *memWriter) Read(p []byte) (int, error) {
	if w.off >= len(w.body) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, w.body[w.off:])
	w.off += n
	return n, nil
}
func (w *memWriter) Close() error {
	if w.recycle {
		clear(w.header)
		body := w.body[:0]
		if w.shared {
			body = w.spare // the shared body is not ours to reuse
		}
		*w = memWriter{header: w.header, body: body, recycle: true}
		memWriters.Put(w)
	}
	return nil
}

// sharedWriter is a ResponseWriter that can take a body without copying.
type sharedWriter interface{ writeShared([]byte) }

// writeShared writes b, which must never be modified, to w: without a
// copy when w is the in-process transport's writer.
func writeShared(w http.ResponseWriter, b []byte) {
	if sw, ok := w.(sharedWriter); ok {
		sw.writeShared(b)
		return
	}
	_, _ = w.Write(b)
}

// statusLines are the Status strings of the answers the gateway gives.
var statusLines = map[int]string{}

func init() {
	for _, c := range []int{200, 201, 204, 400, 401, 404, 405, 409, 412, 413, 429, 500, 502, 503, 504} {
		statusLines[c] = strconv.Itoa(c) + " " + http.StatusText(c)
	}
}

func (t transport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	var w *memWriter
	if t.recycle {
		w = memWriters.Get().(*memWriter)
	} else {
		w = &memWriter{header: make(http.Header, 6)}
	}
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
	status, ok := statusLines[w.status]
	if !ok {
		status = strconv.Itoa(w.status) + " " + http.StatusText(w.status)
	}
	w.resp = http.Response{
		Status:        status,
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          w,
		ContentLength: int64(len(w.body)),
		Request:       req,
	}
	return &w.resp, nil
}
