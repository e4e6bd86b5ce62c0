// Command talkbot answers questions about a corpus of news articles with
// short, cited answers: from the command line, and as a Telegram bot.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

func main() {
	setMemoryLimit(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsageShown) {
			fmt.Fprintln(os.Stderr, "talkbot:", err)
		}
		var ue usageError
		if errors.As(err, &ue) || errors.Is(err, errUsageShown) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// setMemoryLimit sets Go's soft memory limit to 90% of the memory limit
// of the process's cgroup (a container's limit), so the garbage collector
// works harder as the heap nears it instead of letting a reload's two
// indexes double the heap past it. A GOMEMLIMIT set by the operator wins
// (AUTOMEMLIMIT sets another ratio, or "off"); without a cgroup limit,
// nothing changes. A failure to read the limit is reported and ignored.
func setMemoryLimit(stderr io.Writer) {
	_, err := memlimit.Set(memlimit.WithProvider(memlimit.FromCgroup))
	if err != nil && !errors.Is(err, memlimit.ErrCgroupsNotSupported) && !errors.Is(err, memlimit.ErrNoCgroup) {
		fmt.Fprintln(stderr, "talkbot: memory limit from cgroup:", err)
	}
}
