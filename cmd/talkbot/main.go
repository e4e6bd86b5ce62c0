// Command talkbot answers questions about a corpus of news articles with
// short, cited answers: from the command line, and as a Telegram bot.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
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
