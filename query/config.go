package query

import (
	"fmt"
	"time"
)

// Config tunes the query layer.
type Config struct {
	DefaultLimit int              // rows returned when a query gives no limit
	MaxLimit     int              // largest limit accepted; also caps aggregate groups
	Timeout      time.Duration    // per request
	Clock        func() time.Time // for collectionRate; nil means time.Now
}

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	return Config{DefaultLimit: 100, MaxLimit: 10000, Timeout: 30 * time.Second, Clock: time.Now}
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	switch {
	case c.DefaultLimit <= 0:
		return fmt.Errorf("config: default limit %d must be positive: %w", c.DefaultLimit, ErrInvalid)
	case c.MaxLimit < c.DefaultLimit:
		return fmt.Errorf("config: max limit %d is below default limit %d: %w", c.MaxLimit, c.DefaultLimit, ErrInvalid)
	case c.Timeout <= 0:
		return fmt.Errorf("config: timeout %s must be positive: %w", c.Timeout, ErrInvalid)
	}
	return nil
}

func (c Config) now() time.Time {
	if c.Clock == nil {
		return time.Now()
	}
	return c.Clock()
}
