package mockgateway

import (
	"net"
	"testing"
)

// TestBaseURL: the URL printed for a gateway listening on every
// interface is one a client on this machine can use.
func TestBaseURL(t *testing.T) {
	for _, c := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 9999}, "http://127.0.0.1:9999"}, // --addr :9999
		{&net.TCPAddr{IP: net.IPv4zero, Port: 9999}, "http://127.0.0.1:9999"},
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080"},
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 8080}, "http://192.0.2.7:8080"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, "http://[::1]:8080"},
	} {
		if got := baseURL(c.addr); got != c.want {
			t.Errorf("baseURL(%v) = %s, want %s", c.addr, got, c.want)
		}
	}
}
