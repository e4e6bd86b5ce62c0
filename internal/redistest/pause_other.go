//go:build !unix

package redistest

// Pause skips the test: stopping a process is done with SIGSTOP.
func (s *Server) Pause() { s.t.Skip("pausing redis-server needs a Unix system") }

// Resume does nothing where Pause cannot work.
func (s *Server) Resume() {}
