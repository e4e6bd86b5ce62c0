// Package faketelegram is a test double of the Telegram Bot API: long
// polling with offsets, sending and editing messages (with Telegram's HTML
// and length checks, and its sending limits), chat actions, callback
// answers and commands, and scripted failures: 429 with retry_after,
// "can't parse entities", 5xx and stalls.
package faketelegram

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
)

// Sent is a message the bot sent or edited.
type Sent struct {
	Method    string // sendMessage or editMessageText
	ChatID    int64
	MessageID int
	Text      string
	ParseMode string
	ReplyTo   int
	ThreadID  int
	Markup    string // reply_markup JSON
	At        time.Time
}

// Fault is a scripted failure for the next call of one method.
type Fault struct {
	Code        int // 429, 400, 500…
	RetryAfter  int
	Description string
	Delay       time.Duration // stall before answering
}

// Server is a running fake Bot API.
type Server struct {
	*httptest.Server
	Token string
	Bot   map[string]any // getMe result

	mu       sync.Mutex
	cond     *sync.Cond
	updates  []map[string]any
	nextID   int
	nextMsg  int
	sent     []Sent
	actions  int
	calls    map[string]int
	faults   map[string][]Fault
	commands map[string]string // setMyCommands' commands by scope and language: see CommandsFor
	callback []string
	texts    map[int]string // message id -> text, for edits
	files    map[string][]byte
	webhook  url.Values // parameters of the last setWebhook

	// Unlimited turns off the sending limits, which are otherwise
	// enforced as Telegram publishes them: at most 30 messages in any
	// second over all chats, one a second in a chat, and also no more
	// than 20 a minute in a group (negative chat id). Edits count as messages. A message beyond
	// them gets 429 with retry_after and is not delivered.
	Unlimited bool

	holding   bool                  // guarded by mu: see Hold
	polls     int                   // getUpdates calls begun, to tell the newest (see getUpdates)
	conflicts int                   // getUpdates calls ended with 409 by a newer one
	recent    []time.Time           // arrivals of the last 30 messages
	perChat   map[int64][]time.Time // arrivals in each chat, the last 20
	throttled int
	why       map[string]int // throttled messages by the limit they broke
}

// Published sending limits.
const (
	botPerSecond  = 30
	groupPerMin   = 20
	chatSpacing   = time.Second
	groupInterval = time.Minute
)

// New starts a fake for a bot with the given token and username. As on
// Telegram, the bot's id is the number before the token's colon (999
// if there is none), so two fakes with different tokens are two bots.
func New(token, username string) *Server {
	id := int64(999)
	if n, err := strconv.ParseInt(strings.SplitN(token, ":", 2)[0], 10, 64); err == nil && n > 0 {
		id = n
	}
	s := &Server{
		Token:    token,
		Bot:      map[string]any{"id": id, "is_bot": true, "first_name": "Talkbot", "username": username},
		nextID:   1,
		nextMsg:  1000,
		calls:    map[string]int{},
		faults:   map[string][]Fault{},
		texts:    map[int]string{},
		commands: map[string]string{},
		files:    map[string][]byte{},
		perChat:  map[int64][]time.Time{},
	}
	s.cond = sync.NewCond(&s.mu)
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// AddFile stores a file the bot can fetch with getFile and download, and
// returns a document object for a message.
func (s *Server) AddFile(name string, data []byte) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := fmt.Sprintf("file%d", len(s.files)+1)
	s.files[id] = data
	return map[string]any{"file_id": id, "file_unique_id": "u" + id, "file_name": name, "mime_type": "text/plain", "file_size": len(data)}
}

// Webhook returns the parameters of the last setWebhook call.
func (s *Server) Webhook() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhook
}

// Endpoint is the API endpoint to give tgbotapi.NewBotAPIWithClient.
func (s *Server) Endpoint() string { return s.URL + "/bot%s/%s" }

// Fail queues faults for a method.
func (s *Server) Fail(method string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], faults...)
}

// Push queues an update; its update_id is assigned here and returned.
func (s *Server) Push(update map[string]any) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID
	s.nextID++
	update["update_id"] = id
	s.updates = append(s.updates, update)
	s.cond.Broadcast()
	return id
}

// Message builds a message object, for Push or for a reply_to_message.
func (s *Server) Message(chatID, userID int64, chatType, text string) map[string]any {
	s.mu.Lock()
	s.nextMsg++
	id := s.nextMsg
	s.mu.Unlock()
	m := map[string]any{
		"message_id": id,
		"date":       time.Now().Unix(),
		"chat":       map[string]any{"id": chatID, "type": chatType},
		"from":       map[string]any{"id": userID, "is_bot": false, "first_name": "User" + strconv.FormatInt(userID, 10)},
		"text":       text,
	}
	if strings.HasPrefix(text, "/") { // Telegram marks commands with an entity
		cmd, _, _ := strings.Cut(text, " ")
		m["entities"] = []map[string]any{{"type": "bot_command", "offset": 0, "length": len(utf16.Encode([]rune(cmd)))}}
	}
	return m
}

// PushText queues a private-chat text message from user id == chat id.
func (s *Server) PushText(chatID int64, text string) int {
	return s.Push(map[string]any{"message": s.Message(chatID, chatID, "private", text)})
}

// Sent returns what the bot sent and edited so far, in order.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// SentTo returns the messages sent (not edits) to one chat.
func (s *Server) SentTo(chatID int64) []Sent {
	var out []Sent
	for _, m := range s.Sent() {
		if m.ChatID == chatID && m.Method == "sendMessage" {
			out = append(out, m)
		}
	}
	return out
}

// Shown returns the messages in one chat as they read now, after every
// edit, in the order they were first sent.
func (s *Server) Shown(chatID int64) []Sent {
	var out []Sent
	at := map[int]int{}
	for _, m := range s.Sent() {
		if m.ChatID != chatID {
			continue
		}
		if i, ok := at[m.MessageID]; ok && m.Method == "editMessageText" {
			m.ReplyTo, m.ThreadID = out[i].ReplyTo, out[i].ThreadID
			out[i] = m
			continue
		}
		at[m.MessageID] = len(out)
		out = append(out, m)
	}
	return out
}

// Calls returns how often a method was called, faults included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// Commands returns the JSON of the commands last set for everyone: the
// default scope, without a language.
func (s *Server) Commands() string { return s.CommandsFor("default", "") }

// CommandsFor returns the JSON of the commands last set for a scope and
// a language code ("" for none), or "" if none were. A scope is named
// by its type ("default", "all_private_chats", …), with ":" and the
// chat id for a chat's ("chat:42"), and ":" chat and user ids for a
// chat member's ("chat_member:-100:42").
func (s *Server) CommandsFor(scope, language string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[scope+"|"+language]
}

// scopeName names the BotCommandScope JSON of a setMyCommands call as
// CommandsFor does; no scope is the default one.
func scopeName(raw string) (string, error) {
	if raw == "" {
		return "default", nil
	}
	var sc struct {
		Type   string `json:"type"`
		ChatID int64  `json:"chat_id"`
		UserID int64  `json:"user_id"`
	}
	if err := json.Unmarshal([]byte(raw), &sc); err != nil || sc.Type == "" {
		return "", fmt.Errorf("scope %q: %v", raw, err)
	}
	switch sc.Type {
	case "chat", "chat_administrators":
		return fmt.Sprintf("%s:%d", sc.Type, sc.ChatID), nil
	case "chat_member":
		return fmt.Sprintf("%s:%d:%d", sc.Type, sc.ChatID, sc.UserID), nil
	}
	return sc.Type, nil
}

// Throttled returns how many messages were refused with 429 for going
// beyond the sending limits (scripted faults not counted).
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// ThrottledBy returns the messages refused with 429 by the limit they
// broke: "bot" (30 a second), "chat" (one a second) or "group" (20 a
// minute); the longest wait decides when several are broken.
func (s *Server) ThrottledBy() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.why {
		out[k] = v
	}
	return out
}

// admit records a message arriving for chatID now, or returns how long
// the sender must wait if it breaks a limit. The caller holds s.mu.
func (s *Server) admit(chatID int64, now time.Time) time.Duration {
	if s.Unlimited {
		return 0
	}
	var wait time.Duration
	broke := ""
	if len(s.recent) >= botPerSecond {
		if d := s.recent[len(s.recent)-botPerSecond].Add(time.Second).Sub(now); d > 0 {
			wait, broke = d, "bot"
		}
	}
	past := s.perChat[chatID]
	if len(past) > 0 {
		if d := past[len(past)-1].Add(chatSpacing).Sub(now); d > wait {
			wait, broke = d, "chat"
		}
	}
	if chatID < 0 && len(past) >= groupPerMin {
		if d := past[len(past)-groupPerMin].Add(groupInterval).Sub(now); d > wait {
			wait, broke = d, "group"
		}
	}
	if wait > 0 {
		s.throttled++
		if s.why == nil {
			s.why = map[string]int{}
		}
		s.why[broke]++
		return wait
	}
	s.recent = append(s.recent, now)
	if len(s.recent) > botPerSecond {
		s.recent = s.recent[len(s.recent)-botPerSecond:]
	}
	past = append(past, now)
	if len(past) > groupPerMin {
		past = past[len(past)-groupPerMin:]
	}
	s.perChat[chatID] = past
	return 0
}

// Pending returns how many updates have not been acknowledged.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// WaitFor polls until cond holds or the timeout passes, and reports which.
func (s *Server) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return cond()
}

type result struct {
	OK          bool           `json:"ok"`
	Result      any            `json:"result,omitempty"`
	ErrorCode   int            `json:"error_code,omitempty"`
	Description string         `json:"description,omitempty"`
	Parameters  map[string]any `json:"parameters,omitempty"`
}

func reply(w http.ResponseWriter, code int, r result) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(r)
}

func fail(w http.ResponseWriter, code int, desc string) {
	reply(w, code, result{ErrorCode: code, Description: desc})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if path, ok := strings.CutPrefix(r.URL.Path, "/file/bot"+s.Token+"/"); ok {
		s.download(w, path)
		return
	}
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)
	if len(parts) != 2 || parts[0] != "bot"+s.Token {
		fail(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	method := parts[1]
	if err := r.ParseForm(); err != nil {
		fail(w, http.StatusBadRequest, "Bad Request: can't parse request")
		return
	}
	s.mu.Lock()
	s.calls[method]++
	var f *Fault
	if q := s.faults[method]; len(q) > 0 {
		f = &q[0]
		s.faults[method] = q[1:]
	}
	s.mu.Unlock()
	if f != nil {
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if f.Code != 0 {
			desc := f.Description
			if desc == "" {
				desc = http.StatusText(f.Code)
			}
			res := result{ErrorCode: f.Code, Description: desc}
			if f.RetryAfter > 0 {
				res.Parameters = map[string]any{"retry_after": f.RetryAfter}
				res.Description = fmt.Sprintf("Too Many Requests: retry after %d", f.RetryAfter)
			}
			reply(w, f.Code, res)
			return
		}
	}
	switch method {
	case "getMe":
		reply(w, 200, result{OK: true, Result: s.Bot})
	case "getUpdates":
		s.getUpdates(w, r)
	case "sendMessage", "editMessageText":
		s.message(w, r, method)
	case "sendChatAction":
		s.mu.Lock()
		s.actions++
		s.mu.Unlock()
		reply(w, 200, result{OK: true, Result: true})
	case "setMyCommands":
		scope, err := scopeName(r.Form.Get("scope"))
		if err != nil {
			fail(w, 400, "Bad Request: can't parse BotCommandScope JSON object")
			return
		}
		s.mu.Lock()
		s.commands[scope+"|"+r.Form.Get("language_code")] = r.Form.Get("commands")
		s.mu.Unlock()
		reply(w, 200, result{OK: true, Result: true})
	case "setWebhook":
		if u := r.Form.Get("url"); u != "" && !strings.HasPrefix(u, "https://") {
			fail(w, 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
			return
		}
		if st := r.Form.Get("secret_token"); !secretRe.MatchString(st) && st != "" {
			fail(w, 400, "Bad Request: bad webhook: secret token contains unallowed characters")
			return
		}
		s.mu.Lock()
		s.webhook = r.Form
		s.mu.Unlock()
		reply(w, 200, result{OK: true, Result: true})
	case "getFile":
		s.getFile(w, r)
	case "answerCallbackQuery", "deleteWebhook":
		reply(w, 200, result{OK: true, Result: true})
	default:
		fail(w, http.StatusNotFound, "Not Found: method not found")
	}
}

var secretRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// maxDownload is the Bot API's limit on files bots may download.
const maxDownload = 20 << 20

func (s *Server) getFile(w http.ResponseWriter, r *http.Request) {
	id := r.Form.Get("file_id")
	s.mu.Lock()
	data, ok := s.files[id]
	s.mu.Unlock()
	switch {
	case !ok:
		fail(w, 400, "Bad Request: invalid file_id")
	case len(data) > maxDownload:
		fail(w, 400, "Bad Request: file is too big")
	default:
		reply(w, 200, result{OK: true, Result: map[string]any{"file_id": id, "file_unique_id": "u" + id, "file_size": len(data), "file_path": "documents/" + id + ".txt"}})
	}
}

func (s *Server) download(w http.ResponseWriter, path string) {
	id := strings.TrimSuffix(strings.TrimPrefix(path, "documents/"), ".txt")
	s.mu.Lock()
	data, ok := s.files[id]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, nil)
		return
	}
	w.Write(data)
}

// ConflictDescription is what Telegram answers, with 409, to a
// getUpdates call ended by a newer one: only one consumer may poll a
// token at a time.
const ConflictDescription = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"

// getUpdates long-polls as Telegram does, one consumer at a time: a call
// arriving while another waits ends the waiting one with 409 Conflict.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request) {
	offset, _ := strconv.Atoi(r.Form.Get("offset"))
	timeout, _ := strconv.Atoi(r.Form.Get("timeout"))
	deadline := time.Now().Add(time.Duration(timeout) * time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls++
	me := s.polls
	s.cond.Broadcast() // a call waiting now is ended by this one
	// An offset acknowledges every earlier update.
	for len(s.updates) > 0 && s.updates[0]["update_id"].(int) < offset {
		s.updates = s.updates[1:]
	}
	for len(s.updates) == 0 && time.Now().Before(deadline) && r.Context().Err() == nil && s.polls == me {
		wake := time.AfterFunc(50*time.Millisecond, s.cond.Broadcast)
		s.cond.Wait()
		wake.Stop()
	}
	if s.polls != me && r.Context().Err() == nil { // a caller gone (killed) is told nothing
		s.conflicts++
		reply(w, http.StatusConflict, result{ErrorCode: http.StatusConflict, Description: ConflictDescription})
		return
	}
	out := append([]map[string]any{}, s.updates...)
	reply(w, 200, result{OK: true, Result: out})
}

// Conflicts returns how many getUpdates calls were ended with 409
// because another began while they waited (scripted faults not counted).
func (s *Server) Conflicts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conflicts
}

func (s *Server) message(w http.ResponseWriter, r *http.Request, method string) {
	chatID, err := strconv.ParseInt(r.Form.Get("chat_id"), 10, 64)
	if err != nil {
		fail(w, 400, "Bad Request: chat not found")
		return
	}
	text := r.Form.Get("text")
	mode := r.Form.Get("parse_mode")
	visible := text
	if mode == "HTML" {
		v, err := CheckHTML(text)
		if err != nil {
			fail(w, 400, "Bad Request: can't parse entities: "+err.Error())
			return
		}
		visible = v
	}
	if strings.TrimSpace(visible) == "" {
		fail(w, 400, "Bad Request: message text is empty")
		return
	}
	if len(utf16.Encode([]rune(visible))) > 4096 {
		fail(w, 400, "Bad Request: message is too long")
		return
	}
	m := Sent{Method: method, ChatID: chatID, Text: text, ParseMode: mode, Markup: r.Form.Get("reply_markup"), At: time.Now()}
	m.ReplyTo, _ = strconv.Atoi(r.Form.Get("reply_to_message_id"))
	m.ThreadID, _ = strconv.Atoi(r.Form.Get("message_thread_id"))
	s.mu.Lock()
	held := false
	for s.holding && r.Context().Err() == nil {
		held = true
		wake := time.AfterFunc(50*time.Millisecond, s.cond.Broadcast)
		s.cond.Wait()
		wake.Stop()
	}
	if held {
		s.mu.Unlock()
		fail(w, 502, "Bad Gateway") // never taken: a live sender tries again
		return
	}
	m.At = time.Now() // under the lock, so that arrivals are recorded in order
	if wait := s.admit(chatID, m.At); wait > 0 {
		s.mu.Unlock()
		secs := int((wait + time.Second - 1) / time.Second)
		reply(w, http.StatusTooManyRequests, result{
			ErrorCode:   http.StatusTooManyRequests,
			Description: fmt.Sprintf("Too Many Requests: retry after %d", secs),
			Parameters:  map[string]any{"retry_after": secs},
		})
		return
	}
	if method == "editMessageText" {
		m.MessageID, _ = strconv.Atoi(r.Form.Get("message_id"))
		old, ok := s.texts[m.MessageID]
		if !ok {
			s.mu.Unlock()
			fail(w, 400, "Bad Request: message to edit not found")
			return
		}
		if old == text+"\x00"+m.Markup {
			s.mu.Unlock()
			fail(w, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
			return
		}
	} else {
		s.nextMsg++
		m.MessageID = s.nextMsg
	}
	s.texts[m.MessageID] = text + "\x00" + m.Markup
	s.sent = append(s.sent, m)
	s.mu.Unlock()
	reply(w, 200, result{OK: true, Result: map[string]any{
		"message_id": m.MessageID,
		"date":       time.Now().Unix(),
		"chat":       map[string]any{"id": chatID, "type": "private"},
		"text":       visible,
	}})
}

var (
	tagRe    = regexp.MustCompile(`^<(/?)([a-z-]+)(\s[^<>]*)?>`)
	entityRe = regexp.MustCompile(`^&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);`)
	allowed  = map[string]bool{"b": true, "strong": true, "i": true, "em": true, "u": true, "ins": true, "s": true, "strike": true, "del": true, "a": true, "code": true, "pre": true, "blockquote": true, "tg-spoiler": true, "span": true}
)

// CheckHTML validates text as Telegram HTML (supported tags, balanced,
// escaped < > &) and returns the visible text.
func CheckHTML(text string) (string, error) {
	var stack []string
	var vis strings.Builder
	for i := 0; i < len(text); {
		switch text[i] {
		case '<':
			m := tagRe.FindStringSubmatch(text[i:])
			if m == nil || !allowed[m[2]] {
				return "", fmt.Errorf("unsupported start tag at byte offset %d", i)
			}
			if m[1] == "/" {
				if len(stack) == 0 || stack[len(stack)-1] != m[2] {
					return "", fmt.Errorf("unexpected end tag at byte offset %d", i)
				}
				stack = stack[:len(stack)-1]
			} else {
				stack = append(stack, m[2])
			}
			i += len(m[0])
		case '&':
			m := entityRe.FindString(text[i:])
			if m == "" {
				return "", fmt.Errorf("unsupported entity at byte offset %d", i)
			}
			vis.WriteByte('x')
			i += len(m)
		case '>':
			return "", fmt.Errorf("unescaped > at byte offset %d", i)
		default:
			vis.WriteByte(text[i])
			i++
		}
	}
	if len(stack) > 0 {
		return "", fmt.Errorf("can't find end tag corresponding to start tag %q", stack[len(stack)-1])
	}
	return vis.String(), nil
}

// Hold makes messages and edits wait, never taken: once Hold(false) is
// called, or their sender hangs up, each held one fails with 502. A test
// can stop replies going out at a moment of its choosing, such as just
// before it kills the bot.
func (s *Server) Hold(on bool) {
	s.mu.Lock()
	s.holding = on
	s.mu.Unlock()
	s.cond.Broadcast()
}
