//go:build unix

package redistest

import "syscall"

// Pause freezes the server with SIGSTOP, as a hung Redis would be: the
// kernel still accepts connections and takes in commands, but nothing
// answers until Resume. A paused server is resumed when the test ends.
// It skips the test on a shared server.
func (s *Server) Pause() {
	s.t.Helper()
	s.signal(syscall.SIGSTOP)
	s.t.Cleanup(s.Resume)
}

// Resume lets a paused server run again; the commands sent meanwhile
// are then carried out. It is a no-op on a server that is not paused.
func (s *Server) Resume() {
	s.t.Helper()
	s.signal(syscall.SIGCONT)
}

func (s *Server) signal(sig syscall.Signal) {
	s.t.Helper()
	if s.Shared() {
		s.t.Skip("cannot pause a shared Redis")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return // stopped
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatalf("signal redis-server %v: %v", sig, err)
	}
}
