// Command ratelab load-tests APIs and diagnoses their rate limits. See
// `ratelab --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		// The first signal stops the run, which writes its records.
		s, _ := (<-sigs).(syscall.Signal)
		cancel(interrupted{s})
		// A second one stops the process at once, with the clients
		// `ratelab run` started (the terminal's signal does not reach
		// their process groups).
		s, _ = (<-sigs).(syscall.Signal)
		killClients()
		os.Exit(128 + int(s))
	}()
	os.Exit(execute(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// interrupted is the cause of a context a signal cancelled.
type interrupted struct{ sig syscall.Signal }

func (i interrupted) Error() string { return "interrupted by " + i.sig.String() }

// execute runs the command line args and returns the exit code: 0 success,
// 1 a failed run or assertion, 2 bad usage or bad input, and 128 + the
// signal's number (130 for SIGINT, 143 for SIGTERM) when a signal
// cancelled ctx (its cause is interrupted) and the command was not
// refused as bad usage first.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	code := 0
	if err != nil {
		fmt.Fprintln(root.ErrOrStderr(), "ratelab:", err)
		code = 1
		var ue usageError
		if errors.As(err, &ue) || isFlagError(err) {
			return 2
		}
	}
	var in interrupted
	if errors.As(context.Cause(ctx), &in) && in.sig > 0 {
		return 128 + int(in.sig)
	}
	return code
}
