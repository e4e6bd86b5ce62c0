package corpus

import (
	"context"
	"os"
	"strings"
	"testing"
	"testing/fstest"
)

// The pages in testdata/web are written for these tests in the shapes of
// real news sites: menus, cookie banners, share bars, related links,
// comments and footers around the article, and the date in the text, in
// a meta tag or only in JSON-LD.
func TestExtractHTML(t *testing.T) {
	for _, tt := range []struct {
		file                             string
		title, source, author, url, date string
		keep                             []string
	}{
		{
			file:  "news_site.html",
			title: "Biden and Putin agree to resume arms talks in Geneva", source: "The Lakeside Courier", author: "Martina Keller",
			url:  "https://www.lakesidecourier.example/world/2021/06/16/biden-putin-arms-talks",
			date: "2021-06-16",
			keep: []string{"GENEVA — US President Joe Biden", "There was no joint news conference."},
		},
		{
			file:  "jsonld_date.html", // the date only in JSON-LD
			title: "Ryabkov and Sherman open strategic stability dialogue", source: "Arms Control Wire", author: "Thomas Reinholt",
			date: "2021-07-28",
			keep: []string{"lasted about five hours", "end of September"},
		},
		{
			file:  "meta_date.html", // the date only in a meta tag
			title: "Zakharova: 27 Russian diplomats still waiting for US visas", source: "EastWest Monitor", author: "Anna Volkova",
			date: "2021-07-22",
			keep: []string{"27 Russian diplomats assigned", "Sergei Ryabkov, she said"},
		},
	} {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/web/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			a, err := ExtractHTML(data, "")
			if err != nil {
				t.Fatal(err)
			}
			if a.Title != tt.title || a.Source != tt.source || a.Author != tt.author || a.URL != tt.url || a.Date != tt.date {
				t.Errorf("got title %q, source %q, author %q, url %q, date %q\nwant %q, %q, %q, %q, %q",
					a.Title, a.Source, a.Author, a.URL, a.Date, tt.title, tt.source, tt.author, tt.url, tt.date)
			}
			for _, k := range tt.keep {
				if !strings.Contains(a.Text, k) {
					t.Errorf("text lost %q", k)
				}
			}
			for _, g := range []string{"Share", "Related", "Comments", "geneva_local", "cookies", "Home", "Log in", "Advertisement", "Subscribe", "Tags", "©", "(c)", "Podcasts", "VK"} {
				if strings.Contains(a.Text, g) {
					t.Errorf("boilerplate %q survived:\n%s", g, a.Text)
				}
			}
			if strings.HasPrefix(a.Text, a.Title) {
				t.Errorf("the title is repeated as the first paragraph")
			}

			// Saved as Markdown, it reloads as the page parses.
			fromHTML, _, err := ParseHTML("x", data)
			if err != nil {
				t.Fatal(err)
			}
			fromMD, _, err := Parse("x", a.Markdown())
			if err != nil {
				t.Fatal(err)
			}
			if fromHTML != fromMD {
				t.Errorf("the Markdown reloads differently:\n%+v\n%+v", fromHTML, fromMD)
			}
			if fromMD.Title != a.Title || fromMD.Source != a.Source || fromMD.Date != a.Date || fromMD.URL != a.URL {
				t.Errorf("reloaded metadata %q %q %q %q", fromMD.Title, fromMD.Source, fromMD.Date, fromMD.URL)
			}
		})
	}
}

func TestMarkdownRoundTripsOddValues(t *testing.T) {
	a := WebArticle{
		Title:  `"Unacceptable," says Zakharova: visas — and "mirror" steps`,
		Source: `O'Brien's Review`,
		URL:    "https://example.com/a?b=c#d",
		Date:   "2021-07-22",
		Text:   "---\n\nThe first line is a rule. The text goes on.",
	}
	d, _, err := Parse("x", a.Markdown())
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != a.Title || d.Source != a.Source || d.URL != a.URL || d.Date != a.Date {
		t.Errorf("got %q %q %q %q", d.Title, d.Source, d.URL, d.Date)
	}
}

func TestExtractHTMLRefusesEmptyPages(t *testing.T) {
	for _, page := range []string{
		"<html><body><nav><a href='/'>Home</a></nav></body></html>",
		"<html><head><title>Nothing</title></head><body></body></html>",
	} {
		if _, _, err := ParseHTML("x", []byte(page)); err == nil {
			t.Errorf("%q: no error", page)
		}
	}
}

func TestLoadHTMLFiles(t *testing.T) {
	page, err := os.ReadFile("testdata/web/news_site.html")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"saved/summit.html": {Data: page},
		"other.htm":         {Data: page},
		"plain.txt":         {Data: []byte("A headline for the text\n\nThe body of the text is here.")},
	}
	c, err := LoadFS(context.Background(), fsys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Docs) != 3 {
		t.Fatalf("got %d documents", len(c.Docs))
	}
	for _, d := range c.Docs {
		if d.ID == "summit" && (d.Title != "Biden and Putin agree to resume arms talks in Geneva" || d.Date != "2021-06-16" || d.Source != "The Lakeside Courier") {
			t.Errorf("summit: %q %q %q", d.Title, d.Source, d.Date)
		}
	}
}
