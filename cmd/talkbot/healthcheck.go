package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// runHealthcheck asks the running bot's /healthz (on METRICS_ADDR) whether
// it is alive, for a container's HEALTHCHECK: the image has no shell or
// curl, so the binary checks itself.
func runHealthcheck(ctx context.Context, getenv func(string) string) error {
	addr, set := lookup(getenv, "METRICS_ADDR")
	if !set {
		addr = ":9090"
	}
	if addr == "" {
		return usageError{"healthcheck: METRICS_ADDR is off, so there is nothing to check"}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError{fmt.Sprintf("healthcheck: METRICS_ADDR=%q: want host:port", addr)}
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}
