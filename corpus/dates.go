package corpus

import (
	"strings"
	"time"
	"unicode"

	dps "github.com/markusmobius/go-dateparser"
	"github.com/markusmobius/go-dateparser/date"
)

// dateLanguages are the languages dates are read in, in the order tried:
// those of the news sites the bot is fed (English first, then the
// languages the seeds' sites and their readers use).
var dateLanguages = []string{"en", "ru", "uk", "es", "de", "fr"}

// Two reference days, far apart, at which every date is read: a date
// written in full reads the same at both, a date without its year
// differs only in the year, and a relative one ("yesterday", "2 hours
// ago") differs in the day too, so it is no article date at all.
var (
	refA = time.Date(2001, time.March, 14, 12, 0, 0, 0, time.UTC)
	refB = time.Date(2013, time.September, 27, 12, 0, 0, 0, time.UTC)
)

// readDate reads a date written in any of the common forms of news pages
// ("June 16, 2021 21:40 CEST", "22.07.2021, 18:05", "8 December 2021",
// "7 декабря 2021", "2021-10-01T08:00:00Z") with go-dateparser. It returns
// the ISO date (YYYY-MM-DD) when day, month and year are written, the
// month and day in English ("November 9") when the year is not, and
// false for anything else: text, a time alone, a year or month alone, a
// relative date.
func readDate(s string) (string, bool) {
	s = strings.TrimSpace(strings.Trim(strings.TrimSpace(s), ".,;|–—-"))
	if s == "" || len(s) > 80 || !plausibleDate(s) {
		return "", false
	}
	a, okA := parseDateAt(s, refA)
	b, okB := parseDateAt(s, refB)
	switch {
	case !okA || !okB || a.Month() != b.Month() || a.Day() != b.Day():
		return "", false
	case a.Year() == b.Year():
		return a.Format("2006-01-02"), true
	case a.Year() == refA.Year() && b.Year() == refB.Year():
		return a.Format("January 2"), true
	}
	return "", false
}

// plausibleDate is a cheap test that s may hold a day of a month: a
// word (a month's name) beside a number, or three numbers one of which
// has four digits ("22.07.2021"). A lone number ("2021"), a time
// ("16:05") or a count ("3 comments") is still refused by the parser
// or by the two-day reading.
func plausibleDate(s string) bool {
	groups, long, letters, run := 0, false, false, 0
	for _, r := range s + " " {
		if unicode.IsDigit(r) {
			run++
			continue
		}
		if run > 0 {
			groups++
			long = long || run == 4
		}
		run = 0
		letters = letters || unicode.IsLetter(r)
	}
	return groups > 0 && (letters || groups >= 3 && long)
}

// parseDateAt reads s as a date at the reference day ref. Numbers
// separated by dots are day.month.year wherever they are written; other
// numeric dates follow the language's order. A fresh parser each time:
// the package's shared one remembers the languages it met, which would
// make a date's reading depend on the order files are loaded in.
func parseDateAt(s string, ref time.Time) (t time.Time, ok bool) {
	defer func() {
		if recover() != nil { // a date is metadata: never worth failing a load for
			ok = false
		}
	}()
	cfg := &dps.Configuration{
		Languages:     dateLanguages,
		CurrentTime:   ref,
		RequiredParts: []string{"day", "month"},
	}
	if dotted(s) {
		cfg.DateOrder = dps.DMY
	}
	p := &dps.Parser{ParserTypes: []dps.ParserType{dps.CustomFormat, dps.AbsoluteTime}}
	d, err := p.Parse(cfg, s)
	if err != nil || d.IsZero() || d.Period > date.Day { // a month or a year alone
		return time.Time{}, false
	}
	return d.Time, true
}

// dotted reports whether s starts with a date written as numbers
// separated by dots ("22.07.2021").
func dotted(s string) bool {
	i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) })
	return i > 0 && i <= 2 && s[i] == '.' && len(s) > i+1 && unicode.IsDigit(rune(s[i+1]))
}
