package main

import (
	"bytes"
	"os"
	"runtime/debug"
	"testing"
)

// TestMemoryLimitOperatorWins: a GOMEMLIMIT the operator set is left as
// the runtime read it, whatever the cgroup says.
func TestMemoryLimitOperatorWins(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "123MiB")
	prev := debug.SetMemoryLimit(123 << 20)
	defer debug.SetMemoryLimit(prev)
	var stderr bytes.Buffer
	setMemoryLimit(&stderr)
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Errorf("memory limit %d, want the operator's %d", got, 123<<20)
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// TestMemoryLimitFromCgroup: without GOMEMLIMIT the limit is set from the
// cgroup when there is one, and nothing is printed either way.
func TestMemoryLimitFromCgroup(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	os.Unsetenv("GOMEMLIMIT") // t.Setenv puts it back afterwards
	prev := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prev)
	var stderr bytes.Buffer
	setMemoryLimit(&stderr)
	if stderr.Len() > 0 {
		t.Errorf("stderr: %s", stderr.String())
	}
	t.Logf("memory limit after setMemoryLimit: %d (stderr %q)", debug.SetMemoryLimit(-1), stderr.String())
}
