package main

import (
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/webfetch"
)

// TestFetchConfig: the limits of /add's fetches are read from
// FETCH_TIMEOUT, FETCH_MAX_SIZE, FETCH_MAX_REDIRECTS and FETCH_ALLOW,
// default to webfetch's, and a bad value is refused naming the variable
// and what it wants, with every other problem on the same line.
func TestFetchConfig(t *testing.T) {
	defaults := webfetch.Options{Timeout: webfetch.DefaultTimeout, MaxBytes: webfetch.DefaultMaxBytes, MaxRedirects: webfetch.DefaultMaxRedirects}
	tests := []struct {
		name    string
		vars    map[string]string
		want    webfetch.Options
		wantErr []string
	}{
		{"defaults", nil, defaults, nil},
		{"set", map[string]string{"FETCH_TIMEOUT": "45s", "FETCH_MAX_SIZE": "2MiB", "FETCH_MAX_REDIRECTS": "3"},
			webfetch.Options{Timeout: 45 * time.Second, MaxBytes: 2 << 20, MaxRedirects: 3}, nil},
		{"sizes in bytes and decimal units", map[string]string{"FETCH_MAX_SIZE": "800 kb"},
			webfetch.Options{Timeout: webfetch.DefaultTimeout, MaxBytes: 800_000, MaxRedirects: webfetch.DefaultMaxRedirects}, nil},
		{"a plain byte count", map[string]string{"FETCH_MAX_SIZE": "1048576", "FETCH_TIMEOUT": "2m"},
			webfetch.Options{Timeout: 2 * time.Minute, MaxBytes: 1 << 20, MaxRedirects: webfetch.DefaultMaxRedirects}, nil},
		{"allow ranges and single addresses", map[string]string{"FETCH_ALLOW": "127.0.0.1, 10.1.2.3/8,::1, ::ffff:192.168.0.0/112"},
			webfetch.Options{Timeout: webfetch.DefaultTimeout, MaxBytes: webfetch.DefaultMaxBytes, MaxRedirects: webfetch.DefaultMaxRedirects,
				Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128"), netip.MustParsePrefix("192.168.0.0/16")}}, nil},
		{"every problem at once", map[string]string{"FETCH_TIMEOUT": "soon", "FETCH_MAX_SIZE": "lots", "FETCH_MAX_REDIRECTS": "many", "FETCH_ALLOW": "localhost"},
			webfetch.Options{}, []string{`FETCH_TIMEOUT="soon": want a positive duration`, `FETCH_MAX_SIZE="lots": want a size`, `FETCH_MAX_REDIRECTS="many": want a number from 1 to 20`, `FETCH_ALLOW: "localhost" is not an address range`}},
		{"out of bounds", map[string]string{"FETCH_TIMEOUT": "10m", "FETCH_MAX_SIZE": "1GiB", "FETCH_MAX_REDIRECTS": "0"},
			webfetch.Options{}, []string{"FETCH_TIMEOUT", "at most 2m0s", "FETCH_MAX_SIZE", "at most 100MiB", "FETCH_MAX_REDIRECTS"}},
		{"zero and negative", map[string]string{"FETCH_TIMEOUT": "0s", "FETCH_MAX_SIZE": "-5", "FETCH_MAX_REDIRECTS": "-1"},
			webfetch.Options{}, []string{"FETCH_TIMEOUT", "FETCH_MAX_SIZE", "FETCH_MAX_REDIRECTS"}},
		{"a size with a unit and no number", map[string]string{"FETCH_MAX_SIZE": "MiB"}, webfetch.Options{}, []string{"FETCH_MAX_SIZE"}},
		{"a size that overflows", map[string]string{"FETCH_MAX_SIZE": "9223372036854775807GiB"}, webfetch.Options{}, []string{"FETCH_MAX_SIZE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{"TELEGRAM_BOT_TOKEN": "t"}
			for k, v := range tt.vars {
				vars[k] = v
			}
			_, sc, err := loadServe(nil, env(vars), io.Discard)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				got := sc.fetch
				if got.Timeout != tt.want.Timeout || got.MaxBytes != tt.want.MaxBytes || got.MaxRedirects != tt.want.MaxRedirects ||
					len(got.Allow) != len(tt.want.Allow) {
					t.Fatalf("fetch options %+v, want %+v", got, tt.want)
				}
				for i := range got.Allow {
					if got.Allow[i] != tt.want.Allow[i] {
						t.Errorf("Allow[%d] = %s, want %s", i, got.Allow[i], tt.want.Allow[i])
					}
				}
				return
			}
			if err == nil || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v, want one line", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q lacks %q", err, w)
				}
			}
		})
	}
	// talkbot config shows what serve would use.
	out, _, err := runCmd(t, map[string]string{"TELEGRAM_BOT_TOKEN": "t", "FETCH_MAX_SIZE": "1MiB", "FETCH_ALLOW": "127.0.0.1"}, "", "config")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"FETCH_TIMEOUT            20s", "FETCH_MAX_SIZE           1048576 bytes", "FETCH_MAX_REDIRECTS      5", "FETCH_ALLOW              127.0.0.1/32"} {
		if !strings.Contains(out, want) {
			t.Errorf("config output lacks %q:\n%s", want, out)
		}
	}
}
