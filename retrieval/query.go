package retrieval

// QueryTerm is one index term of a query and how much it counts.
type QueryTerm struct {
	Term   string
	Weight float64
}

// Query is what Search looks for: the terms with weights, and the text
// used for dense retrieval.
type Query struct {
	Text  string
	Terms []QueryTerm
}

// NewQuery makes a query of the terms of text, each with weight 1.
func NewQuery(text string) Query {
	return Query{}.With(text, 1)
}

// With returns q plus the terms of text at the given weight; a term
// already in q keeps the larger weight. The text joins the dense query.
func (q Query) With(text string, weight float64) Query {
	out := Query{Text: q.Text, Terms: append([]QueryTerm(nil), q.Terms...)}
	if out.Text == "" {
		out.Text = text
	} else if text != "" {
		out.Text += "\n" + text
	}
	for _, t := range Terms(text) {
		found := false
		for i := range out.Terms {
			if out.Terms[i].Term == t {
				out.Terms[i].Weight = max(out.Terms[i].Weight, weight)
				found = true
				break
			}
		}
		if !found {
			out.Terms = append(out.Terms, QueryTerm{Term: t, Weight: weight})
		}
	}
	return out
}
