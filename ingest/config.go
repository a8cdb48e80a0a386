package ingest

import (
	"fmt"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas/xlsxguard"
)

// Config tunes submissions.
type Config struct {
	BatchRows          int // rows per Arrow record batch
	MaxRejectsInResult int // rejects returned in Result; all of them are always in the rejected-rows file
	Writer             lake.WriterConfig
	XLSX               xlsxguard.Limits // what opening a submitted workbook may cost
	// MaxRejectedShare is the share of a file's rows that may be invalid (0.05: 5%); a file with
	// more loads nothing and fails, its rejected rows still kept for download. 1 loads the valid
	// rows whatever the share; 0 refuses a file with any invalid row.
	MaxRejectedShare float64
}

// DefaultConfig returns the settings used unless configured otherwise.
func DefaultConfig() Config {
	return Config{BatchRows: 65536, MaxRejectsInResult: 100, Writer: lake.DefaultWriterConfig(), XLSX: DefaultXLSXLimits(),
		MaxRejectedShare: 0.05}
}

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	if c.BatchRows < 1 {
		return fmt.Errorf("ingest config: batch_rows must be at least 1, got %d: %w", c.BatchRows, ErrInvalidConfig)
	}
	if c.MaxRejectsInResult < 0 {
		return fmt.Errorf("ingest config: max_rejects_in_result must not be negative, got %d: %w", c.MaxRejectsInResult, ErrInvalidConfig)
	}
	if c.MaxRejectedShare < 0 || c.MaxRejectedShare > 1 {
		return fmt.Errorf("ingest config: max_rejected_share must be between 0 and 1, got %g: %w", c.MaxRejectedShare, ErrInvalidConfig)
	}
	if c.Writer.TargetRows < 0 {
		return fmt.Errorf("ingest config: writer target_rows must not be negative, got %d: %w", c.Writer.TargetRows, ErrInvalidConfig)
	}
	return nil
}
