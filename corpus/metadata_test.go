package corpus

import (
	"context"
	"os"
	"testing"
)

// TestMetadataTable is the metadata every sample article reads as: the
// embedded seeds and corpus-b (saved pages in other sites' layouts,
// shared with qa). Title, source and date are what users see beside every
// answer, so a change here is a change they see.
func TestMetadataTable(t *testing.T) {
	type meta struct{ title, source, date string }
	want := map[string]meta{
		// Seeds.
		"000_3f0c0d7fff4160eb": {"Communication between Russian and US presidents Vladimir Putin and Joe Biden was constructive", "TASS", ""}, // no headline: the first clause
		"001_27a9120208961b58": {"Peskov said that Putin was the initiator of the night conversation with Biden", "", ""},
		"002_4ed4f2e28c58246e": {"Russia's Putin 'liked' video meeting format in Biden talk, says Kremlin", "", "2021-12-08"}, // "Fecha de publicación:" then the date
		"003_907588203fbe8425": {"Kremlin Views Putin-Biden Video Summit Positively", "", ""},
		"004_c6c5edef42ed08a6": {"No definite time set for Putin-Biden meeting yet, Kremlin says", "TASS", "November 9"}, // dateline without a year
		// corpus-b.
		"ambassadors_return": {"U.S. Ambassador John Sullivan returned to Moscow on Thursday", "Meridian Wire", "June 24"},                                            // no headline; wire dateline
		"geneva_summit":      {"Biden and Putin agree to return ambassadors after shorter-than-expected Geneva summit", "The Continental Herald", "2021-06-16"},       // masthead, menu; Published: … | Updated: …
		"mfa_briefing":       {`Zakharova confirms July 28 date for Geneva stability talks, calls visa row "unacceptable"`, "EastWest Monitor", "2021-07-22"},         // 22.07.2021, 18:05 | By …
		"stability_dialogue": {"U.S. and Russia hold two rounds of strategic stability talks in Geneva, set up working groups", "Arms Control Monitor", "2021-10-01"}, // front matter
	}
	got := map[string]meta{}
	for _, fsys := range []func() (*Corpus, error){
		func() (*Corpus, error) { return LoadFS(context.Background(), Seeds(), Options{}) },
		func() (*Corpus, error) {
			return LoadFS(context.Background(), os.DirFS("../qa/testdata/corpus-b"), Options{})
		},
	} {
		c, err := fsys()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range c.Docs {
			got[d.ID] = meta{d.Title, d.Source, d.Date}
		}
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Errorf("%s: not loaded", id)
			continue
		}
		if g != w {
			t.Errorf("%s:\n got title %q, source %q, date %q\nwant title %q, source %q, date %q", id, g.title, g.source, g.date, w.title, w.source, w.date)
		}
	}
	for id := range got {
		if _, ok := want[id]; !ok {
			t.Errorf("%s: loaded, but not in the table", id)
		}
	}
}

func TestReadDate(t *testing.T) {
	for in, want := range map[string]string{
		"June 16, 2021 21:40 CEST": "2021-06-16",
		"June 16, 2021 23:40 EST":  "2021-06-16", // the day where it was written, not in UTC
		"22.07.2021, 18:05":        "2021-07-22",
		"12.07.2021":               "2021-07-12", // dotted: day first, whatever the language
		"8 December 2021":          "2021-12-08",
		"Monday, December 6, 2021": "2021-12-06",
		"Dec. 8, 2021":             "2021-12-08",
		"2021-10-01":               "2021-10-01",
		"2021-10-01T08:00:00Z":     "2021-10-01",
		"7 декабря 2021":           "2021-12-07",
		"8 de diciembre de 2021":   "2021-12-08",
		"November 9":               "November 9",
		"9 ноября":                 "November 9",
		"June 24":                  "June 24",
		"2021":                     "",
		"16:05":                    "",
		"June 2021":                "",
		"yesterday":                "",
		"2 hours ago":              "",
		"4 min read":               "",
		"3 comments":               "",
		"Group of 20":              "",
		"By Anna Volkova":          "",
		"":                         "",
	} {
		got, ok := readDate(in)
		if got != want || ok != (want != "") {
			t.Errorf("readDate(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestMetaDate(t *testing.T) {
	for _, tt := range []struct {
		line string
		want string
	}{
		{"Published: June 16, 2021 21:40 CEST | Updated: June 17, 2021 08:05 CEST", "2021-06-16"},
		{"Updated: June 17, 2021 | Published: June 16, 2021", "2021-06-16"},
		{"Fecha de publicación: 8 December 2021", "2021-12-08"},
		{"Опубликовано: 7 декабря 2021, 14:00", "2021-12-07"},
		{"22.07.2021, 18:05 | By Anna Volkova | 4 min read", "2021-07-22"},
		{"8 December 2021", "2021-12-08"},
		{"Posted on December 8, 2021 by admin", ""}, // not a date line's shape: left in the text
		{"Putin and Biden held talks via video link on December 7, 2021.", ""},
		{"By Anna Volkova | 4 min read", ""},
	} {
		got, _, _ := metaDate(tt.line)
		if got != tt.want {
			t.Errorf("metaDate(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestPageMetadata(t *testing.T) {
	for _, tt := range []struct {
		name, text                 string
		title, source, date, first string
	}{
		{
			name:  "masthead is not the title; a copyright notice names the source",
			text:  "Daily Planet\nHome | World | Politics | Sport\n\nMayor opens new bridge over the river\n\nPublished: 3 March 2022\n\nThe mayor opened the bridge on Thursday. Crowds cheered.\n\n© 2022 Daily Planet. All rights reserved.\n",
			title: "Mayor opens new bridge over the river", source: "Daily Planet", date: "2022-03-03",
			first: "The mayor opened the bridge",
		},
		{
			name:  "wire dateline with its date, no headline",
			text:  "WASHINGTON, March 3 (Reuters) - The Senate passed the bill on Thursday, sending it to the president, who is expected to sign it.\n\nMore follows.\n",
			title: "The Senate passed the bill on Thursday", source: "Reuters", date: "March 3",
			first: "WASHINGTON, March 3 (Reuters) - The Senate", // the dateline stays in the text
		},
		{
			name:  "dateline with a full date",
			text:  "Talks resume in Kyiv\n\nKYIV, December 8, 2021 — Officials met again on Wednesday.\n",
			title: "Talks resume in Kyiv", date: "2021-12-08", first: "KYIV, December 8, 2021 — Officials",
		},
		{
			name:  "a dated line beats a dateline without the year",
			text:  "Talks resume in Kyiv\n\n8 December 2021\n\nMOSCOW, December 8. /TASS/. Officials met again on Wednesday.\n",
			title: "Talks resume in Kyiv", source: "TASS", date: "2021-12-08", first: "MOSCOW, December 8. /TASS/.",
		},
		{
			name:  "a photo credit is no publisher",
			text:  "Talks resume in Kyiv\n\n© Sergei Bobylev/TASS\n\nOfficials met again on Wednesday.\n",
			title: "Talks resume in Kyiv", first: "Officials met",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d, _, err := Parse("x", []byte(tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if d.Title != tt.title || d.Source != tt.source || d.Date != tt.date {
				t.Errorf("got title %q, source %q, date %q; want %q, %q, %q", d.Title, d.Source, d.Date, tt.title, tt.source, tt.date)
			}
			if len(d.Text) < len(tt.first) || d.Text[:len(tt.first)] != tt.first {
				t.Errorf("text starts %q, want %q", d.Text, tt.first)
			}
		})
	}
}
