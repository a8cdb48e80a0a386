package catalog

import (
	"fmt"
	"time"
)

// DefaultCheckpointEvery is the number of commands between checkpoints.
const DefaultCheckpointEvery = 1000

// Config of the catalogue store.
type Config struct {
	Dir             string           // journal, checkpoint and lock live here (created if missing)
	Clock           func() time.Time // default time.Now; stamps commands
	CheckpointEvery int              // write a checkpoint after this many commands; 0 keeps the default
}

// DefaultConfig returns a configuration with every default filled in except Dir.
func DefaultConfig() Config {
	return Config{Dir: "data/catalog", Clock: time.Now, CheckpointEvery: DefaultCheckpointEvery}
}

// Validate reports the first wrong setting.
func (c Config) Validate() error {
	if c.Dir == "" {
		return fmt.Errorf("catalog config: dir is empty: %w", ErrInvalid)
	}
	if c.CheckpointEvery < 0 {
		return fmt.Errorf("catalog config: checkpoint_every %d is negative: %w", c.CheckpointEvery, ErrInvalid)
	}
	return nil
}

// withDefaults fills the zero values that mean "default".
func (c Config) withDefaults() Config {
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = DefaultCheckpointEvery
	}
	return c
}
