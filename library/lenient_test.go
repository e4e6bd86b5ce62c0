package library_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/library"
	"github.com/talkbot/talkbot/retrieval"
)

// TestOpenLenient checks that a start serves the good articles beside a
// bad file, naming it, while reloads stay all or nothing.
func TestOpenLenient(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		files   map[string]string
		docs    int
		skipped []string
		wantErr string
	}{
		{name: "all good", files: map[string]string{"a.md": article, "b.md": "# Second\n\nAnother sentence.\n"}, docs: 2},
		{name: "one binary file", files: map[string]string{"a.md": article, "b.md": "# Second\n\nAnother sentence.\n", "scan.txt": "PK\x03\x04\x00\x00"},
			docs: 2, skipped: []string{"scan.txt"}},
		{name: "nothing good", files: map[string]string{"scan.txt": "PK\x03\x04\x00\x00"}, wantErr: "scan.txt: binary file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			lib, rep, skipped, err := library.OpenLenient(ctx, dir, retrieval.Options{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range skipped {
				names = append(names, s.Path)
			}
			if rep.Docs != tt.docs || strings.Join(names, ",") != strings.Join(tt.skipped, ",") {
				t.Fatalf("%d docs, skipped %q; want %d, %q", rep.Docs, names, tt.docs, tt.skipped)
			}
			if len(skipped) == 0 {
				return
			}
			// A reload is strict: it fails and the lenient corpus keeps serving.
			if _, err := lib.Reload(ctx); err == nil || !strings.Contains(err.Error(), tt.skipped[0]) {
				t.Errorf("reload with the bad file: err = %v, want it named", err)
			}
			if v := lib.Live().Index().Corpus().Version; v != rep.Version {
				t.Errorf("a failed reload replaced the corpus: version %s, want %s", v, rep.Version)
			}
			for _, s := range tt.skipped {
				os.Remove(filepath.Join(dir, s))
			}
			if r, err := lib.Reload(ctx); err != nil || r.Docs != tt.docs {
				t.Errorf("reload once the bad file is gone: %d docs, %v", r.Docs, err)
			}
		})
	}
}
