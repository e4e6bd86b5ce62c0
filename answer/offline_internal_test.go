package answer

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/corpus"
	"github.com/talkbot/talkbot/lexicon"
	"github.com/talkbot/talkbot/retrieval"
)

// TestParaphraseEvidence checks that a sentence saying in other words
// what a question asks earns evidence through WordNet, less than the
// words themselves would, and none without the lexicon.
func TestParaphraseEvidence(t *testing.T) {
	c, err := corpus.Load(context.Background(), filepath.Join("testdata"), corpus.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := retrieval.Build(context.Background(), c, retrieval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lex := lexicon.New()
	for _, tc := range []struct {
		question, sentence string
	}{
		{"Were the talks candid?", "The negotiations had been frank."},
		{"Did they want a rough estimate?", "The operators had asked for a crude estimate."},
		{"When does the schedule begin?", "The new timetable would start in May."},
	} {
		with := readQuestion(ix, lex, tc.question, nil)
		without := readQuestion(ix, nil, tc.question, nil)
		a, _ := score(tc.sentence, nil, 0, with)
		b, _ := score(tc.sentence, nil, 0, without)
		if a.evidence <= b.evidence {
			t.Errorf("%q vs %q: evidence %.2f with WordNet, %.2f without; want more with", tc.question, tc.sentence, a.evidence, b.evidence)
		}
		if a.strict != b.strict {
			t.Errorf("%q: a synonym counted as the word itself (strict %.2f, was %.2f)", tc.question, a.strict, b.strict)
		}
	}
}

func TestDayOf(t *testing.T) {
	for _, tc := range []struct {
		sentence, date, want string
	}{
		{"The summit was held on Wednesday.", "2021-06-16", "Wednesday: 16 June 2021"},
		{"They met on Tuesday.", "2024-03-08", "Tuesday: 5 March 2024"},
		{"They met on Tuesday, June 1.", "2021-06-16", ""}, // a date is given: no need
		{"They met on Tuesday.", "June 2021", ""},          // no full date
		{"They met last week.", "2021-06-16", ""},
	} {
		got, ok := dayOf(tc.sentence, tc.date)
		if tc.want == "" && ok || tc.want != "" && !strings.HasPrefix(got, tc.want) {
			t.Errorf("dayOf(%q, %q) = %q, %v; want %q", tc.sentence, tc.date, got, ok, tc.want)
		}
	}
}

func TestHasCount(t *testing.T) {
	for _, tc := range []struct {
		question, sentence string
		want               bool
	}{
		{"How many diplomats were expelled?", "Moscow expelled 27 Russian diplomats.", true},
		{"How many people were in the delegation?", "The meeting lasted about five hours.", false},
		{"How many hours did it last?", "The meeting lasted about five hours.", true},
		{"How many people were there?", "The talks began at 23.30 Moscow time.", false},
		{"How many people were there?", "The Russian delegation was led by Ryabkov, the American one by Sherman.", false},
		{"How many people were there?", "One of them spoke.", false},
		{"How many people were there?", "One hundred people came.", true},
	} {
		qs := &questionInfo{words: wordSet(tc.question), counted: countedNoun(tc.question)}
		if got := hasCount(tc.sentence, qs); got != tc.want {
			t.Errorf("%q / %q: hasCount = %v, want %v", tc.question, tc.sentence, got, tc.want)
		}
	}
}

func TestGivesName(t *testing.T) {
	for _, tc := range []struct {
		question, sentence string
		want               bool
	}{
		{"What is the name of the new ferry?", "It will be made by a new ferry called Northern Star.", true},
		{"What is the name of the new ferry?", "The ferry Northern Star will make the first crossing.", true},
		{"What is the name of the secure channel?", "According to press secretary Dmitry Peskov, a secure channel was used.", false},
		{"What is the name of the secure channel?", "The Kremlin praised the channel on Tuesday.", false},
	} {
		qs := &questionInfo{words: wordSet(tc.question), names: nameTerms(tc.question)}
		if got := givesName(tc.sentence, qs); got != tc.want {
			t.Errorf("%q / %q: givesName = %v, want %v", tc.question, tc.sentence, got, tc.want)
		}
	}
}

func TestWhoIsAsksForOffice(t *testing.T) {
	for _, tc := range []struct {
		question string
		want     answerKind
	}{
		{"Who is Yuri Ushakov?", roleKind},
		{"who was Maria Zakharova", roleKind},
		{"Who is leading the delegation?", personKind},
		{"Who met Biden in Geneva?", personKind},
	} {
		if got, _ := questionKind(tc.question); got != tc.want {
			t.Errorf("questionKind(%q) = %d, want %d", tc.question, got, tc.want)
		}
	}
}

func TestOtherRole(t *testing.T) {
	for _, tc := range []struct {
		question, sentence string
		other              bool
	}{
		{"Who will represent NATO at the talks?", "The official representative of the Foreign Ministry, Maria Zakharova, spoke.", true},
		{"Who will represent NATO at the talks?", "The representative of NATO will be Jens Stoltenberg.", false},
		{"Who will head the Russian team?", "The two leaders met as heads of state.", true},
		{"Who will head the Russian team?", "The Russian team will be headed by Sergei Ryabkov.", false},
		{"Who was the US ambassador to Russia?", "Russia's ambassador to the United States, Anatoly Antonov, left.", true},
		{"Who was the US ambassador to Russia?", "The US ambassador to Russia, John Sullivan, returned.", false},
		{"Who greeted the leaders at the entrance to the venue?", "Guy Parmelin welcomed them at the entrance to the villa.", false},
		{"What is the ambassador's name?", "The ambassador to the United States is Anatoly Antonov.", false}, // not a who-question
		{"Who initiated the night phone call?", "The initiative to talk belonged to Vladimir Putin.", false}, // an infinitive
	} {
		qs := &questionInfo{roles: roles(tc.question)}
		if got := otherRole(tc.sentence, qs); got != tc.other {
			t.Errorf("otherRole(%q) for %q = %v, want %v (roles %v)", tc.sentence, tc.question, got, tc.other, qs.roles)
		}
	}
}

func TestCategoryTerms(t *testing.T) {
	for _, tc := range []struct {
		question string
		want     string // the term asked for; "" for none
	}{
		{"Which hotel did Biden stay at?", "hotel"},
		{"Which media outlet interviewed Lavrov?", "outlet"},
		{"Which military exercises did Putin mention?", "exercis"},
		{"Which shipyard built the new ferry?", "shipyard"},
		{"Which principle about nuclear war did they restate?", "principl"},
		{"Which organisation has Russia sent its proposals to?", "organis"},
		{"Which city hosted the summit?", ""}, // a place: its own matcher
		{"Talks which Lavrov and Biden held", ""},
		{"What is the name of the ferry?", ""},
	} {
		got := categoryTerms(nil, nil, tc.question)
		if tc.want == "" && len(got) > 0 || tc.want != "" && (len(got) == 0 || got[0] != tc.want) {
			t.Errorf("categoryTerms(%q) = %v, want %q first", tc.question, got, tc.want)
		}
	}
}

func TestHasNewPerson(t *testing.T) {
	lex := lexicon.New()
	for _, tc := range []struct {
		question, sentence string
		want               bool
	}{
		{"Who will lead the talks?", "The talks will be led by Wendy Sherman.", true},
		{"Who will lead the talks?", "On Monday Maria Zakharova said the talks would be held in Geneva.", false},
		{"Who will lead the talks?", "As Maria Zakharova stated, the talks will be held in Geneva.", false},
		{"Who will lead the talks?", "The talks were announced, according to Maria Zakharova.", false},
		{"Who announced the talks?", "On Monday Maria Zakharova said the talks would be held in Geneva.", true},
		{"Who will lead the talks?", "The talks with the United States will be held in Geneva.", false}, // a country
	} {
		qs := &questionInfo{words: wordSet(tc.question), names: nameTerms(tc.question), lex: lex, asksSpeaker: asksSpeech.MatchString(tc.question)}
		if got := hasNewName(tc.sentence, qs, true); got != tc.want {
			t.Errorf("hasNewName(%q) for %q = %v, want %v", tc.sentence, tc.question, got, tc.want)
		}
	}
}

func TestHasRole(t *testing.T) {
	for _, tc := range []struct {
		question, sentence string
		want               bool
	}{
		{"Who is Dmitry Peskov?", "Kremlin Spokesman Dmitry Peskov told reporters on Tuesday.", true},
		{"Who is Dmitry Peskov?", "This was reported by Dmitry Peskov, press secretary of the Russian head of state.", true},
		{"Who is Dmitry Peskov?", "On Monday Dmitry Peskov told reporters that the call with the US President went well.", false},
		{"What post does Yuri Ushakov hold?", "Aide to the President of the Russian Federation Yuri Ushakov said so.", true},
		{"What is Maria Zakharova's position?", "The official representative of the Russian Foreign Ministry, Maria Zakharova, said it.", true},
		{"What is Maria Zakharova's position?", "Maria Zakharova met the president of the club.", false},
	} {
		qs := &questionInfo{names: nameTerms(tc.question)}
		if got := hasRole(tc.sentence, qs); got != tc.want {
			t.Errorf("hasRole(%q) for %q = %v, want %v", tc.sentence, tc.question, got, tc.want)
		}
	}
}
