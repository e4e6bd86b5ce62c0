package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/talkbot/talkbot/bot"
)

// No container engine runs where the tests do, so these check what can
// be checked without one: that the Dockerfile's build command makes a
// static binary, that the image is set up as an operator needs, and that
// compose.yaml parses and wires the bot to Redis with environment
// variables talkbot knows.

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	for _, want := range []string{
		"FROM golang:1.26 AS build",
		"FROM gcr.io/distroless/static-debian12:nonroot", // CA certificates, no shell
		"USER nonroot:nonroot",
		`HEALTHCHECK`, `CMD ["/talkbot", "healthcheck"]`,
		`CMD ["serve"]`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	build := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 go build .*)$`).FindStringSubmatch(df)
	if build == nil {
		t.Fatal("no `RUN CGO_ENABLED=0 go build` line in the Dockerfile")
	}
	if testing.Short() {
		t.Skip("-short: not building")
	}
	// Run the same command here, from the repository root, into a temp dir.
	out := filepath.Join(t.TempDir(), "talkbot")
	cmdline := strings.Replace(build[1], "-o /out/talkbot", "-o "+out, 1)
	cmd := exec.Command("sh", "-c", cmdline)
	cmd.Dir = "../.."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmdline, err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary needs a dynamic loader: it is not static")
		}
	}
	// The seeds are embedded: the binary answers with no files beside it.
	ask := exec.Command(out, "ask", "Where did Putin and Biden last meet in person?")
	ask.Dir = t.TempDir()
	ask.Env = []string{}
	if b, err := ask.CombinedOutput(); err != nil || !strings.Contains(string(b), "Geneva") {
		t.Errorf("the built binary, alone in an empty directory: %v\n%s", err, b)
	}
}

func TestComposeFile(t *testing.T) {
	data, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Build       string            `yaml:"build"`
			Image       string            `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
			Volumes     []string          `yaml:"volumes"`
			DependsOn   map[string]any    `yaml:"depends_on"`
			Healthcheck map[string]any    `yaml:"healthcheck"`
			StopGrace   string            `yaml:"stop_grace_period"`
		} `yaml:"services"`
		Volumes map[string]any `yaml:"volumes"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	bot, ok := c.Services["talkbot"]
	if !ok || bot.Build != "." {
		t.Fatalf("no talkbot service built from this repository: %+v", c.Services)
	}
	redis, ok := c.Services["redis"]
	if !ok || redis.Healthcheck == nil {
		t.Fatal("no redis service with a healthcheck")
	}
	// Docker kills a container 10 s after SIGTERM unless told otherwise:
	// the bot's drain (answers in flight, then the rest cancelled) must fit.
	if grace, err := time.ParseDuration(bot.StopGrace); err != nil || grace <= botDrain() {
		t.Errorf("stop_grace_period %q: want more than the bot's drain, %s", bot.StopGrace, botDrain())
	}
	if _, ok := bot.DependsOn["redis"]; !ok {
		t.Error("talkbot does not wait for redis")
	}
	persistent := false
	for _, v := range redis.Volumes {
		name, path, _ := strings.Cut(v, ":")
		if _, declared := c.Volumes[name]; declared && path == "/data" {
			persistent = true
		}
	}
	if !persistent {
		t.Errorf("redis keeps no named volume at /data: %v", redis.Volumes)
	}
	if got := bot.Environment["REDIS_URL"]; !strings.HasPrefix(got, "redis://redis:") {
		t.Errorf("REDIS_URL %q does not point at the redis service", got)
	}
	known := map[string]bool{"GOMEMLIMIT": true}
	for _, v := range append(envVars, serveVars...) {
		known[v[0]] = true
	}
	for name, value := range bot.Environment {
		if !known[name] {
			t.Errorf("compose sets %s, which talkbot does not read", name)
		}
		if strings.Contains(name, "TOKEN") || strings.Contains(name, "KEY") || strings.Contains(name, "SECRET") {
			if !strings.HasPrefix(value, "${") {
				t.Errorf("compose.yaml holds a literal %s: secrets must come from the environment", name)
			}
		}
	}
	for _, want := range []string{"TELEGRAM_BOT_TOKEN", "OPENAI_API_KEY", "ADMIN_IDS"} {
		if _, ok := bot.Environment[want]; !ok {
			t.Errorf("compose does not pass %s through", want)
		}
	}
}

// botDrain is how long the bot may take to stop after SIGTERM.
func botDrain() time.Duration { return bot.DefaultShutdownWait + bot.CancelWait }

func TestHealthcheckCommand(t *testing.T) {
	addr := freeAddr(t)
	if _, _, err := runCmd(t, map[string]string{"METRICS_ADDR": addr}, "", "healthcheck"); err == nil {
		t.Error("healthcheck passed with nothing listening")
	}
	if _, _, err := runCmd(t, map[string]string{"METRICS_ADDR": "off"}, "", "healthcheck"); err == nil {
		t.Error("healthcheck passed with metrics off")
	}
}
