module github.com/talkbot/talkbot

go 1.26.8

require (
	github.com/cenkalti/backoff/v5 v5.0.3
	github.com/kljensen/snowball v0.10.0
	github.com/sashabaranov/go-openai v1.43.0
)
