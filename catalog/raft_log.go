package catalog

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
)

// raftLog carries raft's log lines (hclog, written as JSON) into the store's slog logger, so that
// they come out with the service's format and level, marked component=raft.
type raftLog struct{ log *slog.Logger }

func (w raftLog) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil {
			w.log.Warn(line, "component", "raft")
			continue
		}
		level := slog.LevelInfo
		switch m["@level"] {
		case "trace", "debug":
			level = slog.LevelDebug
		case "warn":
			level = slog.LevelWarn
		case "error":
			level = slog.LevelError
		}
		msg, _ := m["@message"].(string)
		attrs := []any{"component", "raft"}
		for k, v := range m {
			if !strings.HasPrefix(k, "@") {
				attrs = append(attrs, k, v)
			}
		}
		w.log.Log(context.Background(), level, msg, attrs...)
	}
	return len(p), nil
}
