package faketelegram

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestOverlappingPollsConflict: as on Telegram, a getUpdates call made
// while another waits ends the waiting one with 409 Conflict; the newer
// one goes on.
func TestOverlappingPollsConflict(t *testing.T) {
	s := New("1:T", "bot")
	defer s.Close()
	poll := func(timeout string) (int, string) {
		resp, err := http.PostForm(s.URL+"/bot1:T/getUpdates", url.Values{"timeout": {timeout}})
		if err != nil {
			t.Error(err)
			return 0, ""
		}
		defer resp.Body.Close()
		var r result
		json.NewDecoder(resp.Body).Decode(&r)
		return resp.StatusCode, r.Description
	}
	first := make(chan int, 1)
	go func() {
		code, desc := poll("10")
		if code == 409 && desc != ConflictDescription {
			t.Errorf("409 described %q", desc)
		}
		first <- code
	}()
	waiting := func() bool { // the first poll began its wait
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.polls == 1
	}
	if !s.WaitFor(5*time.Second, waiting) {
		t.Fatal("the first poll never arrived")
	}
	second := make(chan int, 1)
	go func() { code, _ := poll("1"); second <- code }()
	select {
	case code := <-first:
		if code != http.StatusConflict {
			t.Errorf("the waiting poll ended with %d, want 409", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting poll was not ended by the newer one")
	}
	if code := <-second; code != http.StatusOK {
		t.Errorf("the newer poll ended with %d, want 200", code)
	}
	if n := s.Conflicts(); n != 1 {
		t.Errorf("Conflicts = %d, want 1", n)
	}
}
