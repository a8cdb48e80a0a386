package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// Probe checks that the bucket's root is still a directory this process can list, for the
// service's readiness: a removed or unreadable lake folder fails it.
func (b *Bucket) Probe(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("probe %s: %w", b.root, err)
	}
	d, err := os.Open(b.root)
	if err != nil {
		return fmt.Errorf("probe %s: %w", b.root, err)
	}
	defer d.Close()
	fi, err := d.Stat()
	if err != nil {
		return fmt.Errorf("probe %s: %w", b.root, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("probe %s: not a directory", b.root)
	}
	if _, err := d.Readdirnames(1); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("probe %s: %w", b.root, err)
	}
	return nil
}
