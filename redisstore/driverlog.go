package redisstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/redis/go-redis/v9"
)

// QuietDriverLogs sends the lines go-redis logs on its own (such as
// "connection pool: failed to dial after 5 attempts") to log at debug
// level, instead of letting them reach stderr as plain text, outside the
// bot's structured log and the store's once-per-interval reports of a
// failing Redis (which already say what the driver would).
//
// go-redis has one logger for the whole process, so this is for main
// only, called once before stores are opened; libraries and tests other
// than its own should leave it alone.
func QuietDriverLogs(log *slog.Logger) {
	redis.SetLogger(driverLogger{log: log})
}

// driverLogger is go-redis's Logging interface over slog.
type driverLogger struct{ log *slog.Logger }

// Printf logs one line of go-redis at debug level.
func (l driverLogger) Printf(ctx context.Context, format string, v ...any) {
	if ctx == nil {
		ctx = context.Background()
	}
	if !l.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	l.log.DebugContext(ctx, "go-redis", "line", strings.TrimPrefix(fmt.Sprintf(format, v...), "redis: "))
}
