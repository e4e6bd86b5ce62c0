package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/talkbot/talkbot/bot"
	"github.com/talkbot/talkbot/llm"
)

// runConfig prints the effective configuration, every variable with the
// value talkbot would use, secrets masked, and then any problems serve
// would refuse to start with.
func runConfig(args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, sc, err := loadServe(args, getenv, stderr)
	if errors.Is(err, errUsageShown) {
		return err
	}
	secret := func(v string) string {
		if v == "" {
			return "(not set)"
		}
		return "******** (set)"
	}
	or := func(v, dflt string) string { return cmp.Or(v, dflt) }
	base := strings.TrimSuffix(sc.endpoint, "/bot%s/%s")
	var admins []string
	for id := range sc.admins {
		admins = append(admins, strconv.FormatInt(id, 10))
	}
	slices.Sort(admins)
	var ranges []string
	for _, p := range sc.fetch.Allow {
		ranges = append(ranges, p.String())
	}
	allowed := strings.Join(ranges, ",")
	mode := "offline (no LLM)"
	if cfg.llmMode() {
		mode = "LLM"
	}
	rows := [][2]string{
		{"mode", mode},
		{"CORPUS_DIR", or(cfg.CorpusDir, "(the embedded seed articles)")},
		{"INDEX_DIR", or(cfg.IndexDir, "(none: every start parses the corpus)")},
		{"OPENAI_API_KEY", secret(cfg.OpenAIKey)},
		{"OPENAI_BASE_URL", or(redactURL(cfg.OpenAIBaseURL, sc.token), "(OpenAI's, in LLM mode)")},
		{"OPENAI_MODEL", or(cfg.Model, llm.DefaultModel)},
		{"EMBEDDINGS_MODEL", or(cfg.EmbeddingsModel, "(none: BM25 only)")},
		{"LLM_TIMEOUT", cfg.LLMTimeout.String()},
		{"LOG_LEVEL", or(cfg.LogLevel, "info (serve), warn (other commands)")},
		{"REDIS_URL", or(redactURL(cfg.RedisURL, sc.token), "(none: in-process cache, memory and limits)")},
		{"REDIS_PREFIX", cfg.RedisPrefix},
		{"REDIS_TIMEOUT", cfg.RedisTimeout.String()},
		{"CACHE_TTL", cfg.CacheTTL.String()},
		{"SEMANTIC_THRESHOLD", strconv.FormatFloat(cfg.Similarity, 'g', -1, 64)},
		{"TELEGRAM_BOT_TOKEN", secret(sc.token)},
		{"TELEGRAM_API_ENDPOINT", redactURL(base, sc.token)},
		{"ADMIN_IDS", or(strings.Join(admins, ","), "(none)")},
		{"HISTORY_TURNS", strconv.Itoa(sc.turns)},
		{"HISTORY_IDLE", sc.idle.String()},
		{"TELEGRAM_WEBHOOK_URL", or(redactURL(sc.webhook.URL, sc.token), "(none: long polling)")},
		{"TELEGRAM_WEBHOOK_SECRET", secret(sc.webhook.Secret)},
		{"LISTEN_ADDR", sc.listen},
		{"RATE_LIMIT", strconv.Itoa(sc.perMinute) + " a minute"},
		{"METRICS_ADDR", or(sc.metricsAddr, "off")},
		{"LOG_QUESTIONS", strconv.FormatBool(sc.logQuestions)},
		{"STATE_DIR", or(sc.stateDir, "off (unanswered updates kept in memory only)")},
		{"FETCH_TIMEOUT", sc.fetch.Timeout.String()},
		{"FETCH_MAX_SIZE", strconv.FormatInt(sc.fetch.MaxBytes, 10) + " bytes"},
		{"FETCH_MAX_REDIRECTS", strconv.Itoa(sc.fetch.MaxRedirects)},
		{"FETCH_ALLOW", or(allowed, "(none: private and special addresses refused)")},
	}
	for _, r := range rows {
		fmt.Fprintf(stdout, "%-24s %s\n", r[0], r[1])
	}
	if err != nil {
		fmt.Fprintln(stdout)
		return fmt.Errorf("serve would not start: %w", err)
	}
	return nil
}

// redactURL masks what could be secret in a URL before it is printed:
// the password or a lone user name, every query value (an Azure-style
// ?api-key=…), the fragment, and the bot token wherever it appears (a
// webhook URL of https://host/bot<TOKEN>/hook); see bot.RedactURL.
func redactURL(s, token string) string { return bot.RedactURL(s, token) }
