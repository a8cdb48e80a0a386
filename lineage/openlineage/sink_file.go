package openlineage

import (
	"context"
	"fmt"
	"os"
	"sync"
)

// Sink delivers events somewhere. Send may block (an HTTP sink retries); the Emitter calls it from
// its own goroutine so that the code emitting events never waits.
type Sink interface {
	Send(ctx context.Context, ev *RunEvent) error
}

// FileSink appends one event per line (JSON Lines) to a file. Each event is one write under a
// lock, so concurrent senders never interleave lines; the file is synced on Close, not per event.
type FileSink struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// NewFileSink opens path for appending, creating it with mode 0640.
func NewFileSink(path string) (*FileSink, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("打开血缘事件文件 %s 失败：%w", path, err)
	}
	return &FileSink{f: f, path: path}, nil
}

// Send appends ev as one line.
func (s *FileSink) Send(ctx context.Context, ev *RunEvent) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := Marshal(ev)
	if err != nil {
		return fmt.Errorf("血缘事件无法序列化：%w", err)
	}
	b = append(b, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return fmt.Errorf("血缘事件文件 %s %w", s.path, ErrClosed)
	}
	if _, err := s.f.Write(b); err != nil {
		return fmt.Errorf("写入血缘事件文件 %s 失败：%w", s.path, err)
	}
	return nil
}

// Close syncs and closes the file; later Sends fail with ErrClosed. Closing twice is harmless.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	f := s.f
	s.f = nil
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("同步血缘事件文件 %s 失败：%w", s.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("关闭血缘事件文件 %s 失败：%w", s.path, err)
	}
	return nil
}
