package main

import (
	"strings"
	"testing"
)

// TestConfigMasksSecretsInURLs: a token or key inside a URL, where people
// put them, is not printed by talkbot config.
func TestConfigMasksSecretsInURLs(t *testing.T) {
	const token = "123456:AAH-TOKENsecret-part"
	tests := []struct {
		name    string
		vars    map[string]string
		secrets []string // must not appear
		want    []string // must appear
	}{
		{name: "token in the webhook path",
			vars:    map[string]string{"TELEGRAM_WEBHOOK_URL": "https://bot.example.com/bot" + token + "/hook"},
			secrets: []string{token, "TOKENsecret"},
			want:    []string{"TELEGRAM_WEBHOOK_URL     https://bot.example.com/bot<token>/hook"}},
		{name: "token as the webhook path",
			vars:    map[string]string{"TELEGRAM_WEBHOOK_URL": "https://bot.example.com/" + token},
			secrets: []string{"TOKENsecret"},
			want:    []string{"https://bot.example.com/<token>"}},
		{name: "token percent-encoded in the webhook path",
			vars:    map[string]string{"TELEGRAM_WEBHOOK_URL": "https://bot.example.com/123456%3AAAH-TOKENsecret-part/hook"},
			secrets: []string{"TOKENsecret"},
			want:    []string{"https://bot.example.com/<token>/hook"}},
		{name: "token in the webhook query",
			vars:    map[string]string{"TELEGRAM_WEBHOOK_URL": "https://bot.example.com/hook?t=" + token},
			secrets: []string{"TOKENsecret"},
			want:    []string{"https://bot.example.com/hook?t=xxxxx"}},
		{name: "Azure api-key in OPENAI_BASE_URL",
			vars:    map[string]string{"OPENAI_BASE_URL": "https://x.openai.azure.com/openai/deployments/gpt?api-version=2024-02-01&api-key=AZURE-KEY-secret"},
			secrets: []string{"AZURE-KEY-secret"},
			want:    []string{"OPENAI_BASE_URL          https://x.openai.azure.com/openai/deployments/gpt?api-version=xxxxx&api-key=xxxxx"}},
		{name: "key in OPENAI_BASE_URL",
			vars:    map[string]string{"OPENAI_BASE_URL": "https://llm.example.com/v1?key=GOOGLE-KEY-secret"},
			secrets: []string{"GOOGLE-KEY-secret"},
			want:    []string{"https://llm.example.com/v1?key=xxxxx"}},
		{name: "key as the user name",
			vars:    map[string]string{"OPENAI_BASE_URL": "https://sk-USER-KEY-secret@llm.example.com/v1"},
			secrets: []string{"USER-KEY-secret"},
			want:    []string{"https://xxxxx@llm.example.com/v1"}},
		{name: "password and query of REDIS_URL",
			vars:    map[string]string{"REDIS_URL": "rediss://user:REDIS-PASS-secret@localhost:6380/0?password=REDIS-Q-secret"},
			secrets: []string{"REDIS-PASS-secret", "REDIS-Q-secret"},
			want:    []string{"rediss://user:xxxxx@localhost:6380/0?password=xxxxx"}},
		{name: "passwords of a Sentinel REDIS_URL",
			vars:    map[string]string{"REDIS_URL": "redis+sentinel://:REDIS-PASS-secret@10.0.0.1:26379,10.0.0.2:26379/mymaster/0?sentinel_password=SENTINEL-secret"},
			secrets: []string{"REDIS-PASS-secret", "SENTINEL-secret"},
			want:    []string{"redis+sentinel://:xxxxx@10.0.0.1:26379,10.0.0.2:26379/mymaster/0?sentinel_password=xxxxx"}},
		{name: "token in TELEGRAM_API_ENDPOINT",
			vars:    map[string]string{"TELEGRAM_API_ENDPOINT": "http://localhost:8081/x/" + token},
			secrets: []string{"TOKENsecret"},
			want:    []string{"http://localhost:8081/x/<token>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]string{
				"TELEGRAM_BOT_TOKEN":      token,
				"TELEGRAM_WEBHOOK_SECRET": "HOOK-secret",
				"ADMIN_IDS":               "7",
			}
			for k, v := range tt.vars {
				vars[k] = v
			}
			out, _, err := runCmd(t, vars, "", "config")
			for _, secret := range append(tt.secrets, "HOOK-secret") {
				if strings.Contains(out, secret) || err != nil && strings.Contains(err.Error(), secret) {
					t.Errorf("config prints %s:\n%s\n%v", secret, out, err)
				}
			}
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("config output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}
