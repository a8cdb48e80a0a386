package catalog

import (
	"fmt"
	"time"
)

// DefaultCheckpointMinBytes is the journal size since the last checkpoint below which no
// checkpoint is written.
const DefaultCheckpointMinBytes = 16 << 20

// Config of the catalogue store.
type Config struct {
	Dir   string           // journal, checkpoint and lock live here (created if missing)
	Clock func() time.Time // default time.Now; stamps commands
	// CheckpointMinBytes: a checkpoint is written once the journal since the last one has reached
	// both this size and the size of the last checkpoint, so that checkpoints cost in proportion
	// to the commands written, not to the size of the directory; 0 keeps the default.
	CheckpointMinBytes int64
	// CheckpointEvery, when positive, also writes a checkpoint after this many commands
	// whatever their size (tests use it); 0 leaves checkpoints to their size alone.
	CheckpointEvery int
}

// DefaultConfig returns a configuration with every default filled in except Dir.
func DefaultConfig() Config {
	return Config{Dir: "data/catalog", Clock: time.Now, CheckpointMinBytes: DefaultCheckpointMinBytes}
}

// Validate reports the first wrong setting.
func (c Config) Validate() error {
	if c.Dir == "" {
		return fmt.Errorf("catalog config: dir is empty: %w", ErrInvalid)
	}
	if c.CheckpointMinBytes < 0 {
		return fmt.Errorf("catalog config: checkpoint_min_bytes %d is negative: %w", c.CheckpointMinBytes, ErrInvalid)
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
	if c.CheckpointMinBytes == 0 {
		c.CheckpointMinBytes = DefaultCheckpointMinBytes
	}
	return c
}
