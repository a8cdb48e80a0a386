package query

import (
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"github.com/cqeco/ecolake/audit"
	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Config tunes the query layer.
type Config struct {
	DefaultLimit int              // rows returned when a query gives no limit
	MaxLimit     int              // largest limit accepted; also caps aggregate groups
	Timeout      time.Duration    // per request, parsing and validation included
	Clock        func() time.Time // for collectionRate; nil means time.Now
	// Audit keeps the durable record of every request (audit.go); nil records none, which only
	// tests that are not about the audit use: the service always opens one.
	Audit *audit.Log
	// Targets are the management figures' targets, shown beside each figure.
	Targets catalog.FigureTargets

	// What a document may cost before graphql-go sees it (see guard.go): checked on the text
	// before parsing, then on the parsed document with fragments expanded.
	MaxDocumentBytes int // size of the query text
	MaxLineBytes     int // one line of the query text: graphql-go's syntax error costs its square
	MaxTokens        int // lexical tokens of the query text
	MaxNesting       int // open brackets {[( at once in the text; also nesting of variable values
	MaxDepth         int // field depth with fragments expanded
	MaxFields        int // selections (fields, spreads, inline fragments) with fragments expanded
	MaxAliases       int // aliased fields with fragments expanded
	MaxMerges        int // pairs of fields answering at one response path, compared for merging
	MaxOperations    int // operations in one document
	MaxMutations     int // root fields of one mutation, fragments expanded: each is a journal write
	MaxVariableBytes int // size of the variable values, about as JSON

	// What an answer may carry back.
	MaxErrors    int // errors listed; the rest are counted in one last error
	MaxErrorText int // bytes of one message or extension text, as JSON

	// What one request may cost the process once it runs. Without them 200 aliases of one
	// large table are a 50 MB answer, and a few such requests at once gigabytes.
	MaxRowsPerRequest int // rows and groups of all data fields of one request together
	// Objects an introspection answer may hold, bounded from the schema's sizes before it runs
	// (introspect_cost.go): the standard introspection of a province's schema is 5.6 million,
	// a 200 MB answer graphql-go takes half a minute and gigabytes to build (about 6 µs each).
	MaxIntrospectionValues int
	MaxConcurrent          int // requests executing at once; the others wait within their deadline
	// Requests of one principal executing at once, so that one token cannot take every slot;
	// its others wait within their deadline without holding a slot of MaxConcurrent.
	MaxConcurrentPerPrincipal int

	// Roles tightens (or loosens) the limits for the requests of one role (a roles code list id);
	// a zero field keeps the limit above.
	Roles map[string]Limits
	// DuckDBMemoryBytes caps the memory of DuckDB (its memory_limit); 0 keeps DuckDB's own (80%
	// of the machine's memory).
	DuckDBMemoryBytes int64
	// ResultCacheBytes bounds the answers kept for statements asked again of the same snapshot
	// (result_cache.go); 0 keeps none.
	ResultCacheBytes int64
	// NativeBytes bounds the estimated size of the snapshots copied into DuckDB's own storage
	// (native.go), kept in a database file in NativeDir; 0 makes none, and every query reads
	// the snapshot's Parquet files.
	NativeBytes int64
	NativeDir   string
}

// Limits are what the requests of one role may cost; a zero field keeps the service's limit.
type Limits struct {
	MaxLimit               int           // rows of one list or page, groups of one aggregate
	MaxRowsPerRequest      int           // rows and groups of all fields of one request
	MaxDepth               int           // field depth, fragments expanded
	MaxFields              int           // selections, fragments expanded
	MaxAliases             int           // aliased fields, fragments expanded
	Timeout                time.Duration // per request; DuckDB is interrupted when it passes
	MaxDocumentBytes       int           // size of the query text
	MaxVariableBytes       int           // size of the variable values, about as JSON
	MaxIntrospectionValues int           // objects of an introspection answer
}

// forRole is c with the limits of role applied.
func (c Config) forRole(role string) Config {
	l, ok := c.Roles[role]
	if !ok {
		return c
	}
	set := func(dst *int, v int) {
		if v > 0 {
			*dst = v
		}
	}
	set(&c.MaxLimit, l.MaxLimit)
	set(&c.MaxRowsPerRequest, l.MaxRowsPerRequest)
	set(&c.MaxDepth, l.MaxDepth)
	set(&c.MaxFields, l.MaxFields)
	set(&c.MaxAliases, l.MaxAliases)
	set(&c.MaxDocumentBytes, l.MaxDocumentBytes)
	set(&c.MaxVariableBytes, l.MaxVariableBytes)
	set(&c.MaxIntrospectionValues, l.MaxIntrospectionValues)
	if l.Timeout > 0 {
		c.Timeout = l.Timeout
	}
	c.DefaultLimit = min(c.DefaultLimit, c.MaxLimit)
	return c
}

// DefaultConfig returns the configuration used when nothing is set.
func DefaultConfig() Config {
	concurrent := 4 * runtime.GOMAXPROCS(0)
	return Config{
		DefaultLimit: 100, MaxLimit: 10000, Timeout: 30 * time.Second, Clock: time.Now,
		Targets: catalog.DefaultFigureTargets(),
		// Depth 20 admits the standard introspection query (nine levels of ofType); no data
		// query of ours goes beyond four.
		MaxDocumentBytes: 64 << 10, MaxLineBytes: 4 << 10, MaxTokens: 20000, MaxNesting: 64, MaxDepth: 20,
		MaxFields: 2000, MaxAliases: 200, MaxMerges: 1000, MaxOperations: 50, MaxMutations: 20, MaxVariableBytes: 256 << 10,
		MaxErrors: 8, MaxErrorText: 512,
		MaxRowsPerRequest: 20000, MaxIntrospectionValues: 150000, ResultCacheBytes: 32 << 20, MaxConcurrent: concurrent, MaxConcurrentPerPrincipal: max(1, concurrent/4),
	}
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
	case c.Targets.Validate() != nil:
		return fmt.Errorf("config: %w: %w", c.Targets.Validate(), ErrInvalid)
	case c.DuckDBMemoryBytes < 0:
		return fmt.Errorf("config: duckdb memory %d must not be negative: %w", c.DuckDBMemoryBytes, ErrInvalid)
	case c.ResultCacheBytes < 0:
		return fmt.Errorf("config: result cache %d bytes must not be negative: %w", c.ResultCacheBytes, ErrInvalid)
	case c.NativeBytes < 0:
		return fmt.Errorf("config: native copies %d bytes must not be negative: %w", c.NativeBytes, ErrInvalid)
	case c.NativeBytes > 0 && (c.NativeDir == "" || !filepath.IsAbs(c.NativeDir)):
		return fmt.Errorf("config: native copies need an absolute directory (got %q): %w", c.NativeDir, ErrInvalid)
	}
	for role, l := range c.Roles {
		if !schemas.Roles.Has(role) {
			return fmt.Errorf("config: limits for unknown role %q: %w", role, ErrInvalid)
		}
		if l.MaxLimit < 0 || l.MaxRowsPerRequest < 0 || l.MaxDepth < 0 || l.MaxFields < 0 || l.MaxAliases < 0 || l.Timeout < 0 ||
			l.MaxDocumentBytes < 0 || l.MaxVariableBytes < 0 || l.MaxIntrospectionValues < 0 {
			return fmt.Errorf("config: limits for role %s must not be negative: %w", role, ErrInvalid)
		}
		if l.MaxDocumentBytes > maxBodyBytes || l.MaxVariableBytes > maxBodyBytes {
			return fmt.Errorf("config: document or variable bytes for role %s above the request body bound %d: %w", role, maxBodyBytes, ErrInvalid)
		}
	}
	for _, l := range []struct {
		name string
		v    int
	}{
		{"max document bytes", c.MaxDocumentBytes}, {"max line bytes", c.MaxLineBytes},
		{"max tokens", c.MaxTokens}, {"max nesting", c.MaxNesting},
		{"max depth", c.MaxDepth}, {"max fields", c.MaxFields}, {"max aliases", c.MaxAliases},
		{"max merges", c.MaxMerges},
		{"max operations", c.MaxOperations}, {"max mutations", c.MaxMutations}, {"max variable bytes", c.MaxVariableBytes},
		{"max errors", c.MaxErrors}, {"max error text", c.MaxErrorText},
		{"max rows per request", c.MaxRowsPerRequest}, {"max introspection values", c.MaxIntrospectionValues},
		{"max concurrent", c.MaxConcurrent},
		{"max concurrent per principal", c.MaxConcurrentPerPrincipal},
	} {
		if l.v <= 0 {
			return fmt.Errorf("config: %s %d must be positive: %w", l.name, l.v, ErrInvalid)
		}
	}
	// Below this a message could not even name the limit it reports.
	if c.MaxErrorText < 64 {
		return fmt.Errorf("config: max error text %d must be at least 64: %w", c.MaxErrorText, ErrInvalid)
	}
	return nil
}

func (c Config) now() time.Time {
	if c.Clock == nil {
		return time.Now()
	}
	return c.Clock()
}
