// Package hdr reads HTTP headers by canonical key.
package hdr

import "net/http"

// Get is h.Get(key) for a key already in canonical form, as net/http stores
// the headers it receives: Header.Get would check the key's form on every
// call, on the hot path of every request and response.
func Get(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
