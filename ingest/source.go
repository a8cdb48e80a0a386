package ingest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/cqeco/ecolake/schemas"
)

// Source is where a connector reads an entry's records from: a national vertical system's API, a
// business database. Each connector is a package of its own (ingest/rest, ingest/postgres) that
// registers itself; every one is held to the behavioural suite in ingest/ingesttest.
type Source interface {
	// Read starts reading the records newer than the watermark since ("" for all of them).
	Read(ctx context.Context, since string) (Stream, error)
	// Describe names the source for the run's Source and messages: kind and address, never a
	// secret.
	Describe() string
}

// Stream is one read of a Source. Its first record is the header: the item field identifiers
// of the values that follow, in order. The values are text as the entry's items parse it
// (timestamps as 2006-01-02 15:04:05, numbers in decimal), so a pull is validated exactly as a
// submitted file is. The line Next returns counts records from 1 (the header).
type Stream interface {
	Decoder
	// Watermark is the newest watermark among the records read so far, or the since the read
	// began with when none was read. A load that commits its records records this watermark
	// with them, atomically; the next pull reads from it.
	Watermark() string
	// Close ends the read and releases what it holds. It may be called more than once.
	Close() error
}

// Connector is one kind of source: its configuration spec and how a configured source is made.
type Connector struct {
	Spec Spec
	// New makes a source from resolved settings (Spec.Resolve). It does not connect: errors of
	// the remote side surface from Read.
	New func(s Settings) (Source, error)
}

var registry = struct {
	sync.RWMutex
	kinds map[string]Connector
}{kinds: map[string]Connector{}}

// Register adds a connector kind; a connector package calls it from init. A kind registered
// twice is a programming error and panics.
func Register(c Connector) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.kinds[c.Spec.Kind]; dup || c.Spec.Kind == "" || c.New == nil {
		panic(fmt.Sprintf("ingest: connector %q registered twice or incomplete", c.Spec.Kind))
	}
	registry.kinds[c.Spec.Kind] = c
}

// ConnectorOf returns the connector of kind.
func ConnectorOf(kind string) (Connector, bool) {
	registry.RLock()
	defer registry.RUnlock()
	c, ok := registry.kinds[kind]
	return c, ok
}

// Connectors lists the registered connectors by kind.
func Connectors() []Connector {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Connector, 0, len(registry.kinds))
	for _, c := range registry.kinds {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Connector) int {
		switch {
		case a.Spec.Kind < b.Spec.Kind:
			return -1
		case a.Spec.Kind > b.Spec.Kind:
			return 1
		}
		return 0
	})
	return out
}

// OpenSource resolves cfg against kind's spec and makes the source.
func OpenSource(kind string, cfg map[string]string) (Source, error) {
	c, ok := ConnectorOf(kind)
	if !ok {
		return nil, schemas.Userf(ErrInvalidConnector, "连接器类型“%s”不存在", schemas.Clip(kind, 32))
	}
	set, err := c.Spec.Resolve(cfg)
	if err != nil {
		return nil, err
	}
	return c.New(set)
}

// Redacted returns cfg with the values of kind's secret fields replaced by [redacted]: what the
// API and the command line show of a configuration.
func Redacted(kind string, cfg map[string]string) map[string]string {
	c, _ := ConnectorOf(kind)
	out := make(map[string]string, len(cfg))
	for k, v := range cfg {
		if f, ok := c.Spec.Field(k); !ok || f.Type == TypeSecret {
			v = redacted(Secret(v)) // an unknown key could be anything: shown as a secret
		}
		out[k] = v
	}
	return out
}
