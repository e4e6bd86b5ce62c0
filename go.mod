module github.com/talkbot/talkbot

go 1.26.8

require (
	github.com/cenkalti/backoff/v5 v5.0.3
	github.com/go-telegram-bot-api/telegram-bot-api/v5 v5.5.1
	github.com/kljensen/snowball v0.10.0
	github.com/sashabaranov/go-openai v1.43.0
	golang.org/x/time v0.16.0
)
