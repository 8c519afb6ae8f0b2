package table

import (
	"strings"
	"time"
)

// Short is d as Go writes it, to the second from a minute up, without
// trailing zero units: 5h12m, 2m, 1h, 1.5s.
func Short(d time.Duration) string {
	if d >= time.Minute {
		d = d.Round(time.Second)
	} else {
		d = d.Round(time.Millisecond)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
