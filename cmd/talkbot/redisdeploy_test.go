package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/talkbot/talkbot/internal/faketelegram"
	"github.com/talkbot/talkbot/internal/redistest"
)

// TestServeOnRedisCluster runs the built `talkbot serve` with REDIS_URL
// naming a three-node Redis Cluster: it answers, logs the Redis mode,
// paces its messages through the cluster (serve wires the shared pacer)
// and no Redis call fails.
func TestServeOnRedisCluster(t *testing.T) {
	cl := redistest.StartCluster(t)
	tg := faketelegram.New("5656:CLUSTER-bot", "talkbot_cluster")
	t.Cleanup(tg.Close)
	p := startServe(t, map[string]string{
		"TELEGRAM_BOT_TOKEN":    "5656:CLUSTER-bot",
		"TELEGRAM_API_ENDPOINT": tg.URL,
		"REDIS_URL":             cl.URL,
		"REDIS_PREFIX":          cl.Prefix,
		"STATE_DIR":             "off",
	})
	for chat := int64(1); chat <= 3; chat++ {
		tg.PushText(chat, "Where did Putin and Biden last meet?")
	}
	if !tg.WaitFor(30*time.Second, func() bool { return len(finalReplies(tg, []int64{1, 2, 3})) == 3 }) {
		t.Fatalf("not answered on a cluster\n%s", p.stderr.String())
	}
	ctx := context.Background()
	if n, err := cl.Client().Exists(ctx, cl.Prefix+"{pace:5656}:bot").Result(); err != nil || n != 1 {
		t.Errorf("serve did not pace through the cluster: %d %v", n, err)
	}
	p.stop(t, 40*time.Second)
	logs := p.stderr.String()
	if !strings.Contains(logs, `"redis":"cluster"`) {
		t.Errorf("the serving log does not say the Redis mode:\n%s", logs)
	}
	if strings.Contains(logs, "redis unavailable") {
		t.Errorf("Redis calls failed on the cluster:\n%s", logs)
	}
}

// TestServeOnRedisSentinel runs the built `talkbot serve` with REDIS_URL
// naming a Sentinel, kills the primary mid-run and asks on: every
// question is answered while the Sentinel promotes the replica; then a
// new process, after the failover, follows up a conversation begun
// before the kill, read from the promoted replica.
func TestServeOnRedisSentinel(t *testing.T) {
	sen := redistest.StartSentinel(t)
	const token = "5757:SENTINEL-bot"
	tg := faketelegram.New(token, "talkbot_sentinel")
	t.Cleanup(tg.Close)
	vars := map[string]string{
		"TELEGRAM_BOT_TOKEN":    token,
		"TELEGRAM_API_ENDPOINT": tg.URL,
		"REDIS_URL":             sen.URL,
		"REDIS_PREFIX":          sen.Prefix,
		"STATE_DIR":             "off",
	}
	first := startServe(t, vars)
	askAndWait(t, tg, first, 41, "Who will lead the Russian delegation in Geneva?")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sen.WaitReplicated(ctx); err != nil {
		t.Fatal(err)
	}
	sen.KillPrimary()
	chats := []int64{}
	for chat := int64(100); chat < 110; chat++ {
		tg.PushText(chat, "Where did Putin and Biden last meet?")
		chats = append(chats, chat)
	}
	if !tg.WaitFor(30*time.Second, func() bool { return len(finalReplies(tg, chats)) == len(chats) }) {
		t.Fatalf("questions asked after the primary was killed not answered\n%s", first.stderr.String())
	}
	if err := sen.WaitFailover(ctx); err != nil {
		t.Fatal(err)
	}
	first.stop(t, 40*time.Second)

	second := startServe(t, vars)
	if got := askAndWait(t, tg, second, 41, "And who leads the American side?"); !strings.Contains(got, "Sherman") {
		t.Errorf("follow-up by a new process after the failover %q: the conversation was lost\n%s", got, second.stderr.String())
	}
	second.stop(t, 40*time.Second)
	if logs := second.stderr.String(); strings.Contains(logs, "redis unavailable") || !strings.Contains(logs, `"redis":"sentinel"`) {
		t.Errorf("the new process did not use the promoted replica:\n%s", logs)
	}
	if strings.Contains(first.stderr.String()+second.stderr.String(), "SENTINEL-bot") {
		t.Error("the token appears in the logs")
	}
}
