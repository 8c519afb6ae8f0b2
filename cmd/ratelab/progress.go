package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

// progress shows a long run's progress on standard error, the same way for
// every command: on a terminal, one line redrawn in place at most every
// 100 ms and fitted to the terminal's width (the details give way before
// the bar does); elsewhere (a CI log) a plain line every 10 s. Safe for
// concurrent use.
type progress struct {
	w     io.Writer
	name  string // "probe", "compare"
	unit  string // what total counts: "ops", "runs"
	tty   bool
	width int
	now   func() time.Time
	every time.Duration

	mu    sync.Mutex
	start time.Time
	last  time.Time
	drawn bool
}

// newProgress returns the progress display for w: a terminal's when w is
// one.
func newProgress(w io.Writer, name, unit string) *progress {
	p := &progress{w: w, name: name, unit: unit, now: time.Now, every: 10 * time.Second, width: 80}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.every = true, 100*time.Millisecond
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			p.width = cols
		}
	}
	p.start = p.now()
	p.last = p.start
	return p
}

// update shows done of total with the details given by details (nil for
// none), when it is time to: details is called only then, so an update
// that shows nothing costs little. The last update (done == total) always
// shows on a terminal.
func (p *progress) update(done, total int, details func() []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if now.Sub(p.last) < p.every && !(p.tty && done == total) {
		return
	}
	p.last = now
	var ds []string
	if details != nil {
		ds = details()
	}
	if p.tty {
		fmt.Fprint(p.w, "\r"+p.line(done, total, ds)+"\033[K")
		p.drawn = true
		return
	}
	ds = append(ds, now.Sub(p.start).Round(time.Second).String())
	fmt.Fprintf(p.w, "%s: %d/%d %s · %s\n", p.name, done, total, p.unit, strings.Join(ds, " · "))
}

// finish clears a terminal's progress line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

// minBar is the narrowest bar drawn; barMax the widest.
const minBar, barMax = 10, 40

// line renders one terminal line of at most width-1 columns: the name, a
// bar, the count, and as many of the details as fit after them.
func (p *progress) line(done, total int, details []string) string {
	count := " " + strconv.Itoa(done) + "/" + strconv.Itoa(total) + " " + p.unit
	fixed := utf8.RuneCountInString(p.name) + 3 + utf8.RuneCountInString(count) // name, " [", "]"
	room := p.width - 1 - fixed
	var tail string
	for _, d := range details {
		add := " · " + d
		if room-utf8.RuneCountInString(tail+add) < minBar {
			break
		}
		tail += add
	}
	bar := min(barMax, room-utf8.RuneCountInString(tail))
	if bar < minBar {
		// Too narrow for a bar: the count alone.
		return truncate(p.name+count, p.width-1)
	}
	filled := 0
	if total > 0 {
		filled = min(bar, bar*done/total)
	}
	return p.name + " [" + strings.Repeat("=", filled) + strings.Repeat(" ", bar-filled) + "]" + count + tail
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:max(n, 0)])
}
