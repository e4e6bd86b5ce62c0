package answer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/talkbot/talkbot/prompts"
	"github.com/talkbot/talkbot/retrieval"
)

// DefaultSimilarity is the cosine similarity above which an earlier
// question counts as the same question: strict, so only rewordings match.
const DefaultSimilarity = 0.95

// SimilarCache remembers the questions answered, as embeddings, so a
// reworded question can reuse an earlier answer.
type SimilarCache interface {
	// Nearest returns the remembered question nearest to vec in space,
	// the cache key of its answer, and their cosine similarity.
	Nearest(ctx context.Context, space string, vec []float32) (question, key string, similarity float64, ok bool)
	// Remember stores question, its answer's key and its embedding in space.
	Remember(ctx context.Context, space, question, key string, vec []float32)
}

// similar looks for an earlier answer to a reworded question. It returns
// the earlier answer's key, and the question's embedding for remember.
func (s *Service) similar(ctx context.Context, ix *retrieval.Index, standalone string) (string, []float32) {
	if s.opts.Similar == nil || s.opts.Embedder == nil {
		return "", nil
	}
	vecs, err := s.opts.Embedder.Embed(ctx, []string{standalone})
	if err != nil || len(vecs) != 1 {
		s.log.WarnContext(ctx, "embed question for the semantic cache", "err", err)
		return "", nil
	}
	vec := vecs[0]
	q, key, sim, ok := s.opts.Similar.Nearest(ctx, s.space(ix), vec)
	if !ok || sim < s.opts.Similarity || !SameFacts(q, standalone) {
		return "", vec
	}
	return key, vec
}

// space names the answers that may stand in for each other: same corpus,
// mode, model and prompts.
func (s *Service) space(ix *retrieval.Index) string {
	h := sha256.Sum256([]byte(strings.Join([]string{ix.Corpus().Version, s.Mode(), s.opts.Model, prompts.Version}, "\x00")))
	return hex.EncodeToString(h[:8])
}

var (
	negations = map[string]bool{"not": true, "no": true, "never": true, "none": true, "nor": true, "neither": true, "without": true, "nobody": true, "nothing": true, "nowhere": true, "cannot": true}
	months    = map[string]bool{"january": true, "february": true, "march": true, "april": true, "may": true, "june": true, "july": true, "august": true, "september": true, "october": true, "november": true, "december": true,
		"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
		"yesterday": true, "today": true, "tomorrow": true, "before": true, "after": true}
	number = regexp.MustCompile(`[-+]?\d+(?:[.,:/-]\d+)*`)
	word   = regexp.MustCompile(`[\p{L}\p{M}'’]+`)
)

// SameFacts reports whether two questions agree on everything a semantic
// cache is known to confuse: negation, the names in order (so "did A
// warn B" is not "did B warn A"), numbers and dates. Embeddings put such
// pairs close together; the guard keeps them apart.
func SameFacts(a, b string) bool {
	fa, fb := facts(a), facts(b)
	return slices.Equal(fa, fb)
}

// facts lists the meaning-bearing tokens of a question, in order.
func facts(q string) []string {
	q = norm.NFKC.String(q)
	var out []string
	for _, n := range number.FindAllString(q, -1) {
		out = append(out, "#"+n)
	}
	negated := 0
	for i, w := range word.FindAllString(q, -1) {
		lw := strings.ToLower(w)
		if negations[lw] || strings.HasSuffix(lw, "n't") || strings.HasSuffix(lw, "n’t") {
			negated++
			continue
		}
		if months[lw] {
			out = append(out, "@"+lw)
			continue
		}
		r := []rune(w)
		if i > 0 && unicode.IsUpper(r[0]) || len(r) > 1 && isUpper(w) {
			out = append(out, "^"+lw) // a name (the first word is capitalised anyway)
		}
	}
	return append(out, "!"+strings.Repeat("n", negated%2)) // "not never" cancels out
}

func isUpper(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) && !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// LocalSimilar is a SimilarCache in this process.
type LocalSimilar struct {
	max    int
	mu     sync.Mutex
	spaces map[string][]similarEntry
}

type similarEntry struct {
	question, key string
	vec           []float32
}

// NewLocalSimilar returns a semantic cache of at most max questions per space.
func NewLocalSimilar(max int) *LocalSimilar {
	return &LocalSimilar{max: max, spaces: map[string][]similarEntry{}}
}

// Nearest returns the remembered question nearest to vec.
func (c *LocalSimilar) Nearest(_ context.Context, space string, vec []float32) (string, string, float64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	best, bestSim := -1, -2.0
	entries := c.spaces[space]
	for i, e := range entries {
		if sim := Cosine(e.vec, vec); sim > bestSim {
			best, bestSim = i, sim
		}
	}
	if best < 0 {
		return "", "", 0, false
	}
	return entries[best].question, entries[best].key, bestSim, true
}

// Remember stores a question; the oldest go first beyond max.
func (c *LocalSimilar) Remember(_ context.Context, space, question, key string, vec []float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.spaces) > 16 { // old corpus versions: drop them
		for k := range c.spaces {
			if k != space {
				delete(c.spaces, k)
			}
		}
	}
	e := append(c.spaces[space], similarEntry{question, key, vec})
	if len(e) > c.max {
		e = e[len(e)-c.max:]
	}
	c.spaces[space] = e
}

// Cosine returns the cosine similarity of two vectors of equal length.
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}
