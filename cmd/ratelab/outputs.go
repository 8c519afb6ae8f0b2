package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// stdio is the path that means standard input or standard output.
const stdio = "-"

// pathArg is a file named on the command line: the flag (or "argument")
// that names it, and the path.
type pathArg struct{ flag, path string }

// checkPaths refuses, as a usage error and before anything is opened, an
// output that is also one of the inputs or another output (the same path
// once made absolute and its symbolic links resolved, or the same file
// under another name: os.SameFile), two outputs to standard output, and
// an output that cannot be written (a missing directory, a directory, a
// file without write permission). Empty paths are not given.
func checkPaths(inputs, outputs []pathArg) error {
	stdout := ""
	for i, o := range outputs {
		if o.path == "" {
			continue
		}
		if o.path == stdio {
			if stdout != "" {
				return usagef("%s - and %s - would both write to standard output; send one to a file", stdout, o.flag)
			}
			stdout = o.flag
			continue
		}
		for _, in := range inputs {
			if in.path != "" && in.path != stdio && samePath(in.path, o.path) {
				return usagef("%s %s is also %s: writing it would destroy the input; choose another file", o.flag, o.path, in.flag)
			}
		}
		for _, prev := range outputs[:i] {
			if prev.path != "" && prev.path != stdio && samePath(prev.path, o.path) {
				return usagef("%s %s is also %s: two outputs would be written into one file; choose another file", o.flag, o.path, prev.flag)
			}
		}
		if err := checkWritable(o); err != nil {
			return err
		}
	}
	return nil
}

// samePath reports whether a and b name the same file.
func samePath(a, b string) bool {
	if resolve(a) == resolve(b) {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// resolve is p made absolute with the symbolic links of it, or of its
// directory when it does not exist yet, resolved.
func resolve(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Clean(p)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	if d, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(d, filepath.Base(abs))
	}
	return abs
}

// checkWritable is the usage error for an output that cannot be written,
// found without creating or truncating anything.
func checkWritable(o pathArg) error {
	st, err := os.Stat(o.path)
	switch {
	case err == nil && st.IsDir():
		return usagef("%s %s is a directory", o.flag, o.path)
	case err == nil:
		f, err := os.OpenFile(o.path, os.O_WRONLY, 0)
		if err != nil {
			return usage(fmt.Errorf("%s: %w", o.flag, err))
		}
		f.Close()
	case !errors.Is(err, fs.ErrNotExist):
		return usage(fmt.Errorf("%s: %w", o.flag, err))
	}
	dir := filepath.Dir(o.path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("%s %s: directory %s does not exist", o.flag, o.path, dir)
	}
	// Reports are written beside their path and renamed into place, so
	// the directory must take a new file, not only the file its writes.
	probe, err := os.CreateTemp(dir, ".ratelab-check-*")
	if err != nil {
		return usage(fmt.Errorf("%s %s: cannot write in %s: %w", o.flag, o.path, dir, err))
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// writeAtomic writes a report to path through write: into a temporary file
// in the same directory, renamed into place once complete, so a failed or
// interrupted write leaves the old file as it was. path "-" writes to
// stdout. A new file gets mode 0644, a replaced one keeps its mode.
func writeAtomic(stdout io.Writer, flag, path string, write func(io.Writer) error) (err error) {
	if path == stdio {
		return write(stdout)
	}
	path = resolve(path)
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return usage(fmt.Errorf("%s: %w", flag, err))
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	return nil
}

// lazyFile is an output created when it is first written: a run refused
// before its first record leaves the file as it was. Safe for concurrent
// use.
type lazyFile struct {
	flag, path string
	mu         sync.Mutex
	f          *os.File
	err        error
}

func (l *lazyFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil && l.err == nil {
		if l.f, l.err = os.Create(l.path); l.err != nil {
			l.err = fmt.Errorf("%s: %w", l.flag, l.err)
		}
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.f.Write(p)
}

// Close closes the file if it was created.
func (l *lazyFile) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}
