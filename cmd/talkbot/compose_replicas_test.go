package main

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestComposeReplicasProfile checks compose.yaml's "replicas" profile:
// three talkbot processes on Redis through Sentinel (a primary, a replica
// and three sentinels with a quorum of two), each with its own state
// directory, none of it started without the profile.
func TestComposeReplicasProfile(t *testing.T) {
	data, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type service struct {
		Profiles    []string          `yaml:"profiles"`
		Build       string            `yaml:"build"`
		Image       string            `yaml:"image"`
		Command     any               `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]any    `yaml:"depends_on"`
		Healthcheck map[string]any    `yaml:"healthcheck"`
		Deploy      struct {
			Replicas int `yaml:"replicas"`
		} `yaml:"deploy"`
	}
	var c struct {
		Services map[string]service `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	inProfile := func(s service) bool {
		for _, p := range s.Profiles {
			if p == "replicas" {
				return true
			}
		}
		return false
	}
	bot, ok := c.Services["replica"]
	if !ok || !inProfile(bot) || bot.Build != "." || bot.Deploy.Replicas != 3 {
		t.Fatalf("no replica service of 3, built here, in the replicas profile: %+v", bot)
	}
	url := bot.Environment["REDIS_URL"]
	if !strings.HasPrefix(url, "redis+sentinel://") {
		t.Errorf("replicas' REDIS_URL %q does not name sentinels", url)
	}
	sentinels := 0
	for name, s := range c.Services {
		if !strings.HasPrefix(name, "sentinel-") {
			continue
		}
		sentinels++
		if !inProfile(s) || s.Healthcheck == nil || !strings.Contains(url, name+":26379") {
			t.Errorf("%s: want it in the profile, with a healthcheck, named in REDIS_URL", name)
		}
		if _, ok := bot.DependsOn[name]; !ok {
			t.Errorf("the replicas do not wait for %s", name)
		}
		cmd, _ := yaml.Marshal(s.Command)
		if !strings.Contains(string(cmd), "sentinel monitor talkbot redis-primary 6379 2") {
			t.Errorf("%s does not monitor redis-primary as talkbot with a quorum of 2: %s", name, cmd)
		}
	}
	if sentinels != 3 {
		t.Errorf("%d sentinels, want 3", sentinels)
	}
	replica, ok := c.Services["redis-replica"]
	if cmd, _ := yaml.Marshal(replica.Command); !ok || !inProfile(replica) || !strings.Contains(string(cmd), "redis-primary") {
		t.Errorf("no redis-replica of redis-primary in the profile: %s", cmd)
	}
	if p, ok := c.Services["redis-primary"]; !ok || !inProfile(p) {
		t.Error("no redis-primary in the profile")
	}
	// An inbox is locked by one process: several replicas must not share
	// a state directory (a named volume would be shared).
	for _, v := range bot.Volumes {
		if _, path, _ := strings.Cut(v, ":"); path == bot.Environment["STATE_DIR"] {
			t.Errorf("the replicas share %s as their state directory", v)
		}
	}
	known := map[string]bool{"GOMEMLIMIT": true}
	for _, v := range append(envVars, serveVars...) {
		known[v[0]] = true
	}
	for name, value := range bot.Environment {
		if !known[name] {
			t.Errorf("the replicas set %s, which talkbot does not read", name)
		}
		if strings.Contains(name, "TOKEN") || strings.Contains(name, "KEY") {
			if !strings.HasPrefix(value, "${") {
				t.Errorf("compose.yaml holds a literal %s", name)
			}
		}
	}
	// Without the profile, one talkbot on one Redis, as before.
	if s := c.Services["talkbot"]; len(s.Profiles) != 0 || len(c.Services["redis"].Profiles) != 0 {
		t.Error("the single talkbot and redis services must run without a profile")
	}
}
