package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// PaceLimits are the spacings a Pacer keeps the messages of every
// process on one bot token to, together.
type PaceLimits struct {
	Interval time.Duration // between two messages of the bot, whatever their chats
	PerChat  time.Duration // between two messages to one private chat
	PerGroup time.Duration // between two messages to one group or channel (negative chat ids)
}

// DefaultPaceLimits are Telegram's limits (30 messages a second, one a
// second per chat, 20 a minute per group) with the margins the bot's
// in-process pacer keeps: 28 a second, one every 1.05 s per chat, one
// every 3.1 s per group.
func DefaultPaceLimits() PaceLimits {
	return PaceLimits{Interval: time.Second / 28, PerChat: 1050 * time.Millisecond, PerGroup: 3100 * time.Millisecond}
}

// DefaultCountEvery is how often a Pacer recounts the processes sharing
// the token, when PacerOptions leaves CountEvery zero.
const DefaultCountEvery = 10 * time.Second

// PacerOptions tunes a Pacer. Zero fields take the defaults.
type PacerOptions struct {
	Limits     PaceLimits    // DefaultPaceLimits when zero
	CountEvery time.Duration // how often the processes are recounted; DefaultCountEvery when zero
	// Now is the clock the pacer reckons by. Nil (in production) means
	// Redis's own clock (TIME, read inside the script), the one clock
	// every process sees alike; tests set one they move by hand.
	Now func() time.Time
}

// Pacer spaces the messages of every process sending on one bot token
// within Telegram's limits, through Redis: each message takes its place
// with one script call, a generic cell rate algorithm (GCRA) over two
// times kept in Redis, when the bot may send its next message and when
// the chat may get its next one. A message to a chat that may not get one
// yet takes no place; one that may, takes the bot's next free place
// (now, or later if others took the places before) and pushes the chat's
// next place past it. The caller then waits until its place and sends:
// one call takes a message's place, however many wait, and there are no
// retry storms. Once the request has returned, Sent (a second call)
// spaces the chat's next message from then,
// as Telegram counts arrivals: a slow request followed by a fast one
// from another process cannot arrive too close.
//
// All of a bot's pacing keys share one hash tag, {pace:<bot id>}, so the
// script runs on a Cluster; they all live on one node, which is no
// burden at 30 calls a second.
//
// When Redis cannot be reached Reserve returns an error, and the caller
// paces on its own with Processes' share of the budget (bot.Pacer).
type Pacer struct {
	s      *Store
	tag    string
	limits PaceLimits
	now    func() time.Time
	peers  *Peers
	every  time.Duration

	mu      sync.Mutex
	counted time.Time // when the processes were last counted
}

// Pacer returns the shared pacer of bot botID. peers counts the
// processes sharing the token (nil: this one alone).
func (s *Store) Pacer(botID int64, peers *Peers, opts PacerOptions) *Pacer {
	if opts.Limits == (PaceLimits{}) {
		opts.Limits = DefaultPaceLimits()
	}
	if opts.CountEvery <= 0 {
		opts.CountEvery = DefaultCountEvery
	}
	return &Pacer{
		s: s, tag: "pace:" + strconv.FormatInt(botID, 10), limits: opts.Limits,
		now: opts.Now, peers: peers, every: opts.CountEvery,
	}
}

// luaNow opens a script with now: ARGV[1] in µs when the caller gives a
// clock (tests), else Redis's own, the one clock every process shares.
const luaNow = `local now = tonumber(ARGV[1])
if not now then
  if redis.replicate_commands then redis.replicate_commands() end
  local t = redis.call("TIME")
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end`

// paceScript takes a place for one message, if the chat may have one.
// KEYS[1] the bot's next free time, KEYS[2] the chat's (µs); ARGV: now
// (µs; empty for Redis's clock), the bot's interval, the chat's spacing
// (µs), optional ("1": take no place later than now). Returns {taken (1
// or 0), µs from now}: the wait before the place taken, or, when none
// was, before asking again is worth it.
var paceScript = redis.NewScript(luaNow + `
local interval = tonumber(ARGV[2])
local every = tonumber(ARGV[3])
local chat = tonumber(redis.call("GET", KEYS[2]) or "0") or 0
if chat > now then return {0, chat - now} end
local at = tonumber(redis.call("GET", KEYS[1]) or "0") or 0
if at < now then at = now end
if ARGV[4] == "1" and at > now then return {0, at - now} end
redis.call("SET", KEYS[1], at + interval, "PX", math.ceil((at + interval - now) / 1000) + 1000)
redis.call("SET", KEYS[2], at + every, "PX", math.ceil((at + every - now) / 1000) + 1000)
return {1, at - now}`)

// sentScript spaces a chat's next message from now, unless it is
// spaced further already. KEYS[1] the chat's next time (µs); ARGV: now
// (µs; empty for Redis's clock), the chat's spacing (µs).
var sentScript = redis.NewScript(luaNow + `
local next = now + tonumber(ARGV[2])
local chat = tonumber(redis.call("GET", KEYS[1]) or "0") or 0
if chat < next then redis.call("SET", KEYS[1], next, "PX", math.ceil((next - now) / 1000) + 1000) end
return 0`)

// Reserve asks for a place for one message to chatID. With taken, the
// place is the caller's and it sends after wait (zero: now). Without,
// the chat's spacing (another process sent to it lately), or with
// optional the bot's budget (others wait for it), allows no message yet:
// wait is how long until asking again is worth it. An optional message
// never takes a place later than now. err means Redis could not decide
// (unavailable, breaker open): the caller paces by itself.
func (p *Pacer) Reserve(ctx context.Context, chatID int64, optional bool) (wait time.Duration, taken bool, err error) {
	keys := []string{p.s.tagged(p.tag, "bot"), p.chatKey(chatID)}
	var res []int64
	err = p.s.do(ctx, "pace", func(ctx context.Context) error {
		v, err := paceScript.Run(ctx, p.s.rdb, keys, p.clock(), micros(p.limits.Interval), micros(p.spacing(chatID)), flag(optional)).Int64Slice()
		if err == nil && len(v) != 2 {
			err = fmt.Errorf("pace script returned %d values, want 2", len(v))
		}
		res = v
		return err
	})
	if err != nil {
		return 0, false, err
	}
	p.recount(ctx)
	return time.Duration(res[1]) * time.Microsecond, res[0] == 1, nil
}

// Sent spaces the chat's next message from now: a message to it has
// just been sent (its request returned). A failure is only logged by the
// store: the chat stays spaced from its place.
func (p *Pacer) Sent(ctx context.Context, chatID int64) {
	p.s.do(ctx, "pace sent", func(ctx context.Context) error {
		return sentScript.Run(ctx, p.s.rdb, []string{p.chatKey(chatID)}, p.clock(), micros(p.spacing(chatID))).Err()
	})
}

func (p *Pacer) chatKey(chatID int64) string {
	return p.s.tagged(p.tag, "chat", strconv.FormatInt(chatID, 10))
}

// spacing is the least time between two messages to chatID: groups and
// channels have negative ids.
func (p *Pacer) spacing(chatID int64) time.Duration {
	if chatID < 0 {
		return p.limits.PerGroup
	}
	return p.limits.PerChat
}

// clock is the time the scripts reckon by: the test's clock, or empty
// for Redis's own.
func (p *Pacer) clock() string {
	if p.now == nil {
		return ""
	}
	return strconv.FormatInt(p.now().UnixMicro(), 10)
}

// Processes returns how many processes share the token, as last
// counted (at least 1), without calling Redis: while the pacer cannot
// reach Redis each takes this share of the budget.
func (p *Pacer) Processes() int {
	if p.peers == nil {
		return 1
	}
	return p.peers.Last()
}

// recount counts the processes again if the last count is older than
// the interval.
func (p *Pacer) recount(ctx context.Context) {
	if p.peers == nil {
		return
	}
	p.mu.Lock()
	due := time.Since(p.counted) >= p.every
	if due {
		p.counted = time.Now()
	}
	p.mu.Unlock()
	if due {
		p.peers.Count(ctx)
	}
}

// micros is d in whole microseconds, rounded up: a spacing is never
// shortened.
func micros(d time.Duration) int64 {
	return int64((d + time.Microsecond - 1) / time.Microsecond)
}
