//go:build !unix

package analysis

import "errors"

func mkfifo(string) error { return errors.New("no mkfifo on this system") }
