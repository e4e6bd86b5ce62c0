//go:build (re2_wasm || re2_cgo) && cgo

package regexp

import (
	"sync"

	re2 "github.com/wasilibs/go-re2"
)

// Regexp is a compiled regular expression. One made by MustCompile is
// compiled on its first use, not when it is made: the locale tables of
// package data hold thousands of them, and compiling them all in the
// package's init cost every program linking go-dateparser about 0.3 s and
// 90 MB at start (talkbot's patch; see TALKBOT.md at the module's root).
type Regexp struct {
	load func() *re2.Regexp
}

func QuoteMeta(s string) string {
	return re2.QuoteMeta(s)
}

func Compile(str string) (*Regexp, error) {
	rx, err := re2.Compile(str)
	if err != nil {
		return nil, err
	}
	return &Regexp{func() *re2.Regexp { return rx }}, nil
}

// MustCompile returns a Regexp for str that compiles it on first use,
// panicking then if str is not a valid expression.
func MustCompile(str string) *Regexp {
	return &Regexp{sync.OnceValue(func() *re2.Regexp { return re2.MustCompile(str) })}
}

func (re *Regexp) Expand(dst []byte, template []byte, src []byte, match []int) []byte {
	return re.load().Expand(dst, template, src, match)
}

func (re *Regexp) ExpandString(dst []byte, template string, src string, match []int) []byte {
	return re.load().ExpandString(dst, template, src, match)
}

func (re *Regexp) Find(b []byte) []byte {
	return re.load().Find(b)
}

func (re *Regexp) FindAll(b []byte, n int) [][]byte {
	return re.load().FindAll(b, n)
}

func (re *Regexp) FindAllIndex(b []byte, n int) [][]int {
	return re.load().FindAllIndex(b, n)
}

func (re *Regexp) FindAllString(s string, n int) []string {
	return re.load().FindAllString(s, n)
}

func (re *Regexp) FindAllStringIndex(s string, n int) [][]int {
	return re.load().FindAllStringIndex(s, n)
}

func (re *Regexp) FindAllStringSubmatch(s string, n int) [][]string {
	return re.load().FindAllStringSubmatch(s, n)
}

func (re *Regexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return re.load().FindAllStringSubmatchIndex(s, n)
}

func (re *Regexp) FindAllSubmatch(b []byte, n int) [][][]byte {
	return re.load().FindAllSubmatch(b, n)
}

func (re *Regexp) FindAllSubmatchIndex(b []byte, n int) [][]int {
	return re.load().FindAllSubmatchIndex(b, n)
}

func (re *Regexp) FindIndex(b []byte) (loc []int) {
	return re.load().FindIndex(b)
}

func (re *Regexp) FindString(s string) string {
	return re.load().FindString(s)
}

func (re *Regexp) FindStringIndex(s string) (loc []int) {
	return re.load().FindStringIndex(s)
}

func (re *Regexp) FindStringSubmatch(s string) []string {
	return re.load().FindStringSubmatch(s)
}

func (re *Regexp) FindStringSubmatchIndex(s string) []int {
	return re.load().FindStringSubmatchIndex(s)
}

func (re *Regexp) FindSubmatch(b []byte) [][]byte {
	return re.load().FindSubmatch(b)
}

func (re *Regexp) FindSubmatchIndex(b []byte) []int {
	return re.load().FindSubmatchIndex(b)
}

func (re *Regexp) Longest() {
	re.load().Longest()
}

func (re *Regexp) Match(b []byte) bool {
	return re.load().Match(b)
}

func (re *Regexp) MatchString(s string) bool {
	return re.load().MatchString(s)
}

func (re *Regexp) NumSubexp() int {
	return re.load().NumSubexp()
}

func (re *Regexp) ReplaceAll(src, repl []byte) []byte {
	return re.load().ReplaceAll(src, repl)
}

func (re *Regexp) ReplaceAllLiteral(src, repl []byte) []byte {
	return re.load().ReplaceAllLiteral(src, repl)
}

func (re *Regexp) ReplaceAllLiteralString(src, repl string) string {
	return re.load().ReplaceAllLiteralString(src, repl)
}

func (re *Regexp) ReplaceAllString(src, repl string) string {
	return re.load().ReplaceAllString(src, repl)
}

func (re *Regexp) Split(s string, n int) []string {
	return re.load().Split(s, n)
}

func (re *Regexp) String() string {
	return re.load().String()
}

func (re *Regexp) SubexpIndex(name string) int {
	return re.load().SubexpIndex(name)
}

func (re *Regexp) SubexpNames() []string {
	return re.load().SubexpNames()
}
