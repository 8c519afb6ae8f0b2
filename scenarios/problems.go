package scenarios

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// maxProblems is how many problems one file's error lists; it counts the
// rest in a last line. It bounds the time and memory a file full of
// mistakes (or one alias used thousands of times) can cost.
const maxProblems = 50

// problems collects every problem found in one file: the decoder's and
// then the validator's. A path whose value did not decode is marked
// failed, and checks of that value, its parts or what holds it are not
// reported: they would only repeat the decoding error.
type problems struct {
	file string
	errs []*Error
	more int
	// failed holds the paths that did not decode; holds their ancestors.
	failed, holds map[string]bool
}

func newProblems(file string) *problems {
	return &problems{file: file, failed: map[string]bool{}, holds: map[string]bool{}}
}

// add records one problem, or counts it beyond maxProblems.
func (p *problems) add(line int, path, format string, args ...any) {
	if len(p.errs) >= maxProblems {
		p.more++
		return
	}
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// fail records that the value at path did not decode.
func (p *problems) fail(line int, path, format string, args ...any) {
	p.failed[path] = true
	for a := path; a != ""; {
		a = parent(a)
		p.holds[a] = true
	}
	p.add(line, path, format, args...)
}

// parent returns the path of what holds path: "" for a top-level key.
func parent(path string) string {
	if i := strings.LastIndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return ""
}

// decoded reports whether everything at and under path decoded.
func (p *problems) decoded(path string) bool { return !p.failed[path] && !p.holds[path] }

// repeats reports whether a problem at path would repeat a decoding error:
// path, a part of it, or what holds it did not decode.
func (p *problems) repeats(path string) bool {
	if !p.decoded(path) {
		return true
	}
	for a := path; a != ""; {
		a = parent(a)
		if p.failed[a] {
			return true
		}
	}
	return false
}

// err returns every problem, sorted by line (problems on one line in the
// order found), or nil when there are none.
func (p *problems) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
	errs := make([]error, 0, len(p.errs)+1)
	for _, e := range p.errs {
		errs = append(errs, e)
	}
	if p.more > 0 {
		errs = append(errs, &Error{File: p.file, Msg: fmt.Sprintf("%d more problems not shown", p.more)})
	}
	return errors.Join(errs...)
}
