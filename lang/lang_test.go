package lang

import "testing"

func TestDetect(t *testing.T) {
	tests := []struct {
		name, code, text, want string
	}{
		{"nothing at all", "", "", "en"},
		{"code only", "ru", "", "ru"},
		{"code with region", "en-US", "", "en"},
		{"code with lower-case region", "pt-br", "", "pt"},
		{"code with underscore", "de_AT", "", "de"},
		{"bad code", "english", "", "en"},
		{"command only: the code decides", "ru", "/start", "ru"},
		{"command with bot name", "uk", "/help@talkbot", "uk"},
		{"mention and link left out", "ru", "@talkbot https://example.com/news", "ru"},
		{"emoji only", "de", "👍🙂", "de"},
		{"English question", "", "Where did Putin and Biden last meet?", "en"},
		{"English question, Russian app", "ru", "How long did the video call last?", "en"},
		{"English words too few: the app decides", "ru", "Geneva summit", "ru"},
		{"short Latin: the app decides", "ru", "ok", "ru"},
		{"Russian question", "", "Где встретились Путин и Байден?", "ru"},
		{"Russian, English app", "en", "Сколько длился видеозвонок?", "ru"},
		{"Russian with Latin names", "", "Когда Biden и Putin провели video call?", "ru"},
		{"Russian without ы or э", "", "Да", "ru"},
		{"Ukrainian letters", "ru", "Де зустрілися Путін і Байден?", "uk"},
		{"Ukrainian without its letters, Ukrainian app", "uk", "Дякую", "uk"},
		{"Russian from a Ukrainian app", "uk", "Что сказал Песков о переговорах?", "ru"},
		{"Belarusian", "", "Дзе сустрэліся Пуцін і Байдэн? Ўсё", "be"},
		{"Bulgarian app, no marks", "bg", "Къде се срещнаха Путин и Байдън?", "bg"},
		{"Kazakh letters", "", "Путин мен Байден қайда кездесті?", "kk"},
		{"Serbian letters", "", "Где су се срели Путин и Бајден? Ђ", "sr"},
		{"German function words", "", "Wo haben sich Putin und Biden getroffen?", "de"},
		{"German umlaut", "", "Wie lange dauerte das Gespräch?", "de"},
		{"German ß only", "", "Grüße", "de"},
		{"German from an English app", "en", "Wann war das Treffen in Genf?", "de"},
		{"French", "", "Où se sont rencontrés Poutine et Biden?", "fr"},
		{"Spanish", "", "¿Dónde se reunieron Putin y Biden?", "es"},
		{"Italian", "", "Dove si sono incontrati Putin e Biden?", "it"},
		{"Portuguese", "", "Onde foi a reunião? Não sei.", "pt"},
		{"Latin, no common words: the app decides", "pl", "Gdzie spotkali się Putin i Biden?", "pl"},
		{"Turkish umlauts are not German", "tr", "Görüşme ne kadar sürdü?", "tr"},
		{"one shared-looking word does not outvote a Latin app language", "pl", "Kto to jest?", "pl"},
		{"clear English beats a Polish app", "pl", "What did the minister say about the talks?", "en"},
		{"Greek", "", "Πού συναντήθηκαν;", "el"},
		{"Arabic", "", "أين التقى بوتين وبايدن؟", "ar"},
		{"Persian in Arabic letters", "fa", "پوتین و بایدن کجا ملاقات کردند؟", "fa"},
		{"Hebrew", "", "איפה הם נפגשו?", "he"},
		{"Chinese", "", "普京和拜登在哪里见面？", "zh"},
		{"Japanese kana", "", "プーチンとバイデンはどこで会いましたか？", "ja"},
		{"kanji only, Japanese app", "ja", "会談", "ja"},
		{"Korean", "", "푸틴과 바이든은 어디서 만났습니까?", "ko"},
		{"Thai", "", "ปูตินและไบเดนพบกันที่ไหน", "th"},
		{"Hindi", "", "पुतिन और बाइडेन कहाँ मिले?", "hi"},
		{"one Cyrillic letter is too little", "en", "x я", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.code, tt.text); got != tt.want {
				t.Errorf("Detect(%q, %q) = %q, want %q", tt.code, tt.text, got, tt.want)
			}
		})
	}
}

func TestDetectIsDeterministic(t *testing.T) {
	// Ties between scripts and between languages are decided by fixed
	// orders, never by map iteration.
	for _, text := range []string{"Да, the", "Ja und the and", "αβ аб", "der the"} {
		first := Detect("", text)
		for range 50 {
			if got := Detect("", text); got != first {
				t.Fatalf("Detect(%q) gave %q, then %q", text, first, got)
			}
		}
	}
}

func TestBase(t *testing.T) {
	tests := map[string]string{
		"": "", "ru": "ru", "RU": "ru", "en-US": "en", "pt-br": "pt", "zh_Hans_CN": "zh",
		"fil": "fil", "english": "", "e": "", "12": "", " de ": "de",
	}
	for code, want := range tests {
		if got := Base(code); got != want {
			t.Errorf("Base(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestName(t *testing.T) {
	tests := map[string]string{
		"ru": "Russian", "en": "English", "de": "German", "uk": "Ukrainian", "pt-BR": "Portuguese",
		"": "English", "xx": "xx", "not a tag": "English",
	}
	for tag, want := range tests {
		if got := Name(tag); got != want {
			t.Errorf("Name(%q) = %q, want %q", tag, got, want)
		}
	}
}

// TestDetectedLanguagesAreNamed: every language Detect can tell from a
// text has a name for prompts.
func TestDetectedLanguagesAreNamed(t *testing.T) {
	var tags []string
	for l := range commonWords {
		tags = append(tags, l)
	}
	for _, l := range scriptLanguage {
		tags = append(tags, l)
	}
	for l := range writtenIn {
		tags = append(tags, l)
	}
	for _, m := range cyrillicMarks {
		tags = append(tags, m.lang)
	}
	tags = append(tags, "zh")
	for _, l := range tags {
		if _, ok := names[l]; !ok {
			t.Errorf("no name for %q", l)
		}
	}
}

// TestCommonWordsAreOfOneLanguage: a word in two lists would tell nothing.
func TestCommonWordsAreOfOneLanguage(t *testing.T) {
	seen := map[string]string{}
	for l, words := range commonWords {
		for _, w := range words {
			if other, ok := seen[w]; ok {
				t.Errorf("%q is listed for %s and %s", w, other, l)
			}
			seen[w] = l
		}
	}
	if len(latinOrder) != len(commonWords) {
		t.Errorf("latinOrder %v does not list every language of commonWords", latinOrder)
	}
}
