package corpus

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// page is an article body with its boilerplate removed and the metadata
// found in the text.
type page struct {
	title, source, date string
	// site is the publisher a copyright notice names: the source when no
	// dateline or credit names one, and never the title.
	site       string
	dateRank   dateRank
	paragraphs []string
}

// Boilerplate vocabulary and line shapes. These are general rules about
// how web pages dress up articles, not strings taken from any one page.
var (
	// adsTxt matches ads.txt records ("google.com, pub-123, DIRECT, f08c…")
	// that scrapers pick up from ad-network scripts.
	adsTxt = regexp.MustCompile(`(?i)^.*?\b(?:ca-)?pub-\d{6,}\b\s*,\s*(?:DIRECT|RESELLER)\b(?:\s*,\s*[0-9a-f]{16}\b)?[\s,]*`)
	// strongBoilerplate is vocabulary that article prose practically never
	// uses but cookie banners, captchas and legal footers always do.
	strongBoilerplate = regexp.MustCompile(`(?i)(\bcookies?\b.*\b(use|accept|consent|policy|settings)\b|\b(use|accept|consent)\b.*\bcookies?\b|captcha|spam submissions|human visitor|\bare you a (human|robot)\b|characters (shown|you see) in the (image|picture)|all rights reserved|privacy policy|terms of (use|service)|(enable|turn on) javascript|javascript is (disabled|required)|ad ?blocker|reproduction (is )?(prohibited|forbidden)|without (the )?(written )?permission of the (publisher|editors))`)
	// weakBoilerplate is vocabulary of share, subscribe and comment widgets;
	// it only condemns short lines that are not sentences.
	weakBoilerplate = regexp.MustCompile(`(?i)\b(share|shares|tweet|subscribe|subscription|newsletter|sign (up|in)|log ?in|register|follow us|like us|comments?|reply|replies|whatsapp|facebook|twitter|telegram|linkedin|pinterest|instagram|youtube|e-?mail|print|copy link|read more|read also|see also|related|tags?|categories|bookmark|download|advertisement|advertising|sponsored|ad)\b`)
	// widgetVerb starts the imperative lines of widgets ("Share on …").
	widgetVerb = regexp.MustCompile(`(?i)^(share|subscribe|follow|sign (up|in)|log ?in|click|tap|read|add|post|leave|join|download|watch|listen|register|send|print|email|copy)\b`)
	// tailMarker heads the sections that follow an article: comments,
	// related stories, recent posts. Everything after one is dropped.
	tailMarker = regexp.MustCompile(`(?i)^(recent posts|related|related (articles|stories|news|posts|content|topics|coverage|materials)|read (also|more|next)|see also|more (news|stories|on this( story| topic)?|from [\w ]+)|you (may|might) also (like|be interested in|want to read)|also read|most (read|popular|viewed|shared)|popular (posts|news|stories)|latest (news|stories|posts)|trending( now)?|top stories|comments?|\d+ comments?|no comments|add (a |new )?comment|leave a (reply|comment)|post a comment|join the discussion|what do you think\??)\s*:?$`)
	// navWords are lines that are nothing but site navigation.
	navWords = regexp.MustCompile(`(?i)^(all news|latest news|news|home|homepage|main|main page|menu|main menu|back|go back|next|previous|prev|search|top|back to top|go to top|skip to (main )?content|more|sections|world|politics|economy|sport|sports|opinion|video|videos|photo|photos)$`)
	// crumbSep separates the parts of a breadcrumb trail.
	crumbSep = regexp.MustCompile(`\s(›|»|>|\||/|→|::)\s`)
	// creditLabel starts photo credits and media labels ("Photo: …", "Imagen principal:").
	creditLabel = regexp.MustCompile(`(?i)^(photo|photos|photograph|image|images|picture|pictures|foto|fotos|imagen|video|illustration|credit|credits|caption|cover)(\s+[\p{L}\p{N}]+){0,2}\s*[:：]`)
	// creditAgency matches the photographer/agency tail of a credit ("Sergei Bobylev/TASS").
	creditAgency = regexp.MustCompile(`\S\s?/\s?[A-Z][A-Za-z-]*[A-Z]\.?$`)
	creditVocab  = regexp.MustCompile(`(?i)(©|\(c\)\s|\b(getty images|shutterstock|ap photo|afp photo|reuters photo|epa-efe|pool photo|photo by|photo courtesy)\b)`)
	urlOnly      = regexp.MustCompile(`(?i)^(https?://|www\.)\S+$`)
	speechVerb   = regexp.MustCompile(`(?i)\b(said|says|say|added|adds|noted|notes|stated|states|wrote|writes|told|tells|explained|continued|asked|declared|announced|reads?)\s*:$`)
	markdownHead = regexp.MustCompile(`^#{1,6}\s+`)
)

// cleanLine is one non-empty line of the page and what the rules decided.
type cleanLine struct {
	text    string
	drop    bool
	heading bool // a Markdown heading
}

// clean removes boilerplate lines from a page and collects its metadata.
func clean(body string) page {
	var p page
	var lines []cleanLine
	for _, raw := range strings.Split(body, "\n") {
		t := collapseSpaces(strings.TrimSpace(raw))
		for hasFold(t, "pub-") {
			stripped := adsTxt.ReplaceAllString(t, "")
			if stripped == t {
				break
			}
			t = strings.TrimSpace(stripped)
		}
		if t == "" {
			continue
		}
		l := cleanLine{text: t, drop: isMenu(raw)}
		if markdownHead.MatchString(t) {
			l.text = strings.TrimSpace(markdownHead.ReplaceAllString(t, ""))
			l.heading = true
		}
		lines = append(lines, l)
	}

	for i := range lines {
		l := &lines[i]
		t := l.text
		if l.drop {
			continue
		}
		if m := attribution.FindStringSubmatch(t); m != nil && wordCount(t) <= 10 {
			if p.source == "" {
				p.source = strings.TrimSpace(m[1])
			}
			l.drop = true
			continue
		}
		if m := dateline.FindStringSubmatch(t); m != nil {
			if p.source == "" {
				p.source = strings.TrimSpace(m[3])
			}
			p.offerDate(m[2], partialDate)
		} else if m := agencyDateline.FindStringSubmatch(t); m != nil {
			if p.source == "" {
				p.source = strings.TrimSpace(m[2])
			}
			p.offerDate(m[1], partialDate)
		} else if m := plainDateline.FindStringSubmatch(t); m != nil {
			p.offerDate(m[1], partialDate)
		}
		if name := publisher(t); name != "" {
			p.site = name // the last notice: the page's footer
		}
		if d, rank, ok := metaDate(t); ok {
			if rank > p.dateRank {
				p.date, p.dateRank = d, rank
			}
			l.drop = true
			continue
		}
		l.drop = isBoilerplate(t) || isCredit(t)
	}

	// Captions stand next to their credit and repeat its start, or are
	// bare Title Case names beside it.
	for i := range lines {
		if lines[i].drop || isSentence(lines[i].text) || wordCount(lines[i].text) > 15 {
			continue
		}
		for _, j := range []int{i - 1, i + 1} {
			if j < 0 || j >= len(lines) || !isCredit(lines[j].text) {
				continue
			}
			if strings.HasPrefix(lines[j].text, lines[i].text) || isTitleCase(lines[i].text) {
				lines[i].drop = true
			}
		}
	}

	// Sections after the article (comments, related stories) go whole.
	// The marker itself is often boilerplate already, so look at every line.
	seenSentence := false
	for i := range lines {
		if seenSentence && tailMarker.MatchString(lines[i].text) {
			for j := i; j < len(lines); j++ {
				lines[j].drop = true
			}
			break
		}
		if !lines[i].drop && isSentence(lines[i].text) {
			seenSentence = true
		}
	}

	// Short fragments and cut-off teasers ("…campaig...") after the last
	// sentence are tags, links to other stories and crumbs.
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i].drop {
			continue
		}
		if isSentence(lines[i].text) {
			break
		}
		if wordCount(lines[i].text) <= 12 || isTruncated(lines[i].text) {
			lines[i].drop = true
		}
	}

	if p.source == "" {
		p.source = p.site
	}
	var kept []cleanLine
	for _, l := range lines {
		if !l.drop && !(l.heading == false && p.namesSite(l.text)) {
			kept = append(kept, l)
		}
	}
	kept = dropRepeats(kept)

	titleAt := -1
	for i, l := range kept {
		if l.heading && !p.namesSite(l.text) {
			titleAt = i
			break
		}
	}
	if titleAt < 0 {
		for i, l := range kept {
			if isSentence(l.text) {
				break
			}
			if readsAsHeadline(l.text) && !p.namesSite(l.text) {
				titleAt = i
				break
			}
		}
	}
	for i, l := range kept {
		if i == titleAt {
			p.title = l.text
			continue
		}
		p.paragraphs = append(p.paragraphs, l.text)
	}
	return p
}

// offerDate takes the date a dateline states (s, as written), unless the
// page states a better one.
func (p *page) offerDate(s string, rank dateRank) {
	d, ok := readDate(s)
	if !ok {
		return
	}
	if isISODate(d) {
		rank = max(rank, publishedDate)
	}
	if rank > p.dateRank {
		p.date, p.dateRank = d, rank
	}
}

// namesSite reports whether a line is the name of the site or source
// rather than a headline: the masthead at the top of a saved page.
func (p *page) namesSite(t string) bool {
	for _, name := range []string{p.site, p.source} {
		if name != "" && strings.EqualFold(strings.TrimSpace(t), name) {
			return true
		}
	}
	return false
}

// isMenu reports whether a raw line is a menu or a share bar: three or
// more short items, separated by bars or runs of spaces, one of them
// navigation or widget vocabulary ("Home | World | Europe", "Share on
// Facebook | Share on Twitter | Print", "= Menu   News   Analysis").
// The vocabulary keeps a table row of short cells in the article.
func isMenu(raw string) bool {
	items := strings.FieldsFunc(raw, func(r rune) bool { return r == '|' || r == '\t' })
	if len(items) < 3 {
		items = strings.Split(strings.TrimSpace(raw), "   ")
	}
	if len(items) < 3 {
		return false
	}
	vocab := false
	for _, it := range items {
		it = strings.TrimFunc(it, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if it == "" {
			continue
		}
		if wordCount(it) > 3 || isSentence(it) {
			return false
		}
		vocab = vocab || navWords.MatchString(it) || weakBoilerplate.MatchString(it)
	}
	return vocab
}

// dropRepeats removes lines that repeat an earlier line, and short lines
// that are a later line with junk in front (a headline glued to a site tag).
func dropRepeats(lines []cleanLine) []cleanLine {
	seen := map[string]bool{}
	var out []cleanLine
	for i, l := range lines {
		key := strings.ToLower(l.text)
		if seen[key] {
			continue
		}
		if i+1 < len(lines) && wordCount(l.text) <= 25 {
			next := strings.ToLower(lines[i+1].text)
			if len(key) > len(next) && len(key)-len(next) <= 40 && wordCount(next) >= 3 && strings.HasSuffix(key, next) {
				continue
			}
		}
		seen[key] = true
		out = append(out, l)
	}
	return out
}

// isBoilerplate reports whether a line belongs to the page around the
// article rather than to the article.
func isBoilerplate(t string) bool {
	words := wordCount(t)
	sentence := isSentence(t)
	switch {
	case !strings.ContainsFunc(t, unicode.IsLetter):
		return true
	case urlOnly.MatchString(t):
		return true
	case words <= 40 && mayBeStrong(t) && strongBoilerplate.MatchString(t):
		return true
	case !sentence && words <= 8 && weakBoilerplate.MatchString(t):
		return true
	case words <= 12 && widgetVerb.MatchString(t) && weakBoilerplate.MatchString(t):
		return true
	case !sentence && words <= 6 && (navWords.MatchString(t) || crumbSep.MatchString(t)):
		return true
	case words <= 3 && strings.HasSuffix(t, ":") && !speechVerb.MatchString(t):
		return true // a form or layout label: "Publication date:"
	}
	return false
}

// isCredit reports whether a line credits a photo or video. Credits
// are short; a paragraph of prose that names an agency is not one.
func isCredit(t string) bool {
	words := wordCount(t)
	if creditLabel.MatchString(prefix(strings.TrimLeft(t, "[("), creditLabelMax)) || words <= 25 && creditVocab.MatchString(t) {
		return true
	}
	return !isSentence(t) && words <= 12 && creditAgency.MatchString(t)
}

// creditLabelMax is more bytes than any credit label (up to three words
// and a colon) takes.
const creditLabelMax = 120

// prefix returns at most n bytes of the start of s, cut at a rune boundary.
func prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// collapseSpaces trims s and turns each run of ASCII white space inside
// it into one space, as the regexp \s+ would, without a regexp's cost.
func collapseSpaces(s string) string {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
	clean := true
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) && (s[i] != ' ' || i+1 < len(s) && isSpace(s[i+1])) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteByte(s[i])
	}
	return b.String()
}

// hasFold reports whether s contains the ASCII string sub in any case.
func hasFold(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

// isSentence reports whether a line ends like a sentence of prose.
func isSentence(t string) bool {
	t = strings.TrimRight(t, ` "'”’»)]`)
	if t == "" {
		return false
	}
	switch t[len(t)-1] {
	case '.', '!', '?':
		return !strings.HasSuffix(t, "...") // "..." ends truncated teasers
	}
	return false
}

// isTruncated reports whether a line was cut off with an ellipsis, as
// teasers of other stories are.
func isTruncated(t string) bool {
	return strings.HasSuffix(t, "...") || strings.HasSuffix(t, "…")
}

// readsAsHeadline reports whether a line looks like an article headline.
func readsAsHeadline(t string) bool {
	w := wordCount(t)
	if w < 3 || w > 25 || len(t) > 220 {
		return false
	}
	last := t[len(t)-1]
	if last == '.' || last == ',' || last == ':' || last == ';' {
		return false
	}
	r := []rune(t)[0]
	return unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune(`"'“‘«`, r)
}

// isTitleCase reports whether every significant word starts upper case,
// as names and captions do.
func isTitleCase(t string) bool {
	n := 0
	for _, w := range strings.Fields(t) {
		r := []rune(w)[0]
		if !unicode.IsLetter(r) {
			continue
		}
		switch strings.ToLower(w) {
		case "of", "the", "and", "for", "in", "on", "at", "to", "a", "an", "de", "von", "van":
			continue
		}
		if !unicode.IsUpper(r) {
			return false
		}
		n++
	}
	return n >= 2
}

func wordCount(t string) int {
	n, in := 0, false
	for _, r := range t {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// strongHints holds, for each alternative of strongBoilerplate, a word it
// cannot match without: a line with none of them is not tried.
var strongHints = []string{"cookie", "captcha", "spam", "human", "robot", "characters", "rights reserved", "privacy", "terms of", "javascript", "blocker", "reproduction", "permission"}

// mayBeStrong reports whether strongBoilerplate could match t.
func mayBeStrong(t string) bool {
	lower := strings.ToLower(t)
	for _, h := range strongHints {
		if strings.Contains(lower, h) {
			return true
		}
	}
	return false
}
