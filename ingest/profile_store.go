package ingest

import (
	"bytes"
	"cmp"
	"compress/flate"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/axiomhq/hyperloglog"
	"github.com/cespare/xxhash/v2"

	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// The stored form of a profile (lake.Profile): merging a parent snapshot's into a load's, the
// bounds as text, and the sketch compressed.

// merge adds a stored profile of the same item (an earlier snapshot's) to column i.
func (p *profiler) merge(i int, sp *lake.Profile) error {
	c := &p.cols[i]
	if sp.Type != string(c.typ) {
		return fmt.Errorf("profile of %s is of type %s, the item of %s", sp.Field, sp.Type, c.typ)
	}
	c.rows += sp.Rows
	c.nulls += sp.Nulls
	c.stale += sp.Stale
	c.approximate = c.approximate || sp.Approximate
	if len(sp.Sketch) > 0 {
		sk, err := decodeSketch(sp.Sketch)
		if err != nil {
			return fmt.Errorf("profile of %s: %w", sp.Field, err)
		}
		if c.sketch == nil {
			c.sketch = sk
		} else if err := c.sketch.Merge(sk); err != nil {
			return fmt.Errorf("profile of %s: %w", sp.Field, err)
		}
	}
	if c.codes != nil {
		for _, cc := range sp.Codes {
			if n := c.codes[cc.Value]; n != nil {
				n.Count += cc.Count
			} else if len(c.codes) < lake.MaxProfileCodes {
				c.codes[cc.Value] = &lake.CodeCount{Value: cc.Value, Count: cc.Count}
			} else {
				c.others += cc.Count
				c.boundString(cc.Value) // its hash is in the stored sketch already
			}
		}
		c.others += sp.Others
	}
	if sp.Min == "" && sp.Max == "" {
		return nil
	}
	return c.mergeBounds(sp.Min, sp.Max)
}

// mergeBounds widens the bounds by a stored profile's, given in their text form. Stored text is
// clipped; clipping to a prefix keeps the order (a <= b implies clip(a) <= clip(b)), so the
// clipped bound of the merge is the one of a single profile of both row sets.
func (c *colProfile) mergeBounds(lo, hi string) error {
	switch c.kind {
	case kindString:
		c.boundString(lo)
		c.boundString(hi)
	case kindFloat:
		a, err1 := strconv.ParseFloat(lo, 64)
		b, err2 := strconv.ParseFloat(hi, 64)
		if err := cmp.Or(err1, err2); err != nil {
			return fmt.Errorf("profile of %s: bounds: %w", c.field, err)
		}
		c.widenFloat(a, b)
	case kindInt:
		a, err1 := parseBound(c.typ, lo)
		b, err2 := parseBound(c.typ, hi)
		if err := cmp.Or(err1, err2); err != nil {
			return fmt.Errorf("profile of %s: bounds: %w", c.field, err)
		}
		if !c.has {
			c.minI, c.maxI, c.has = a, b, true
		}
		c.minI, c.maxI = min(c.minI, a), max(c.maxI, b)
	}
	return nil
}

func (c *colProfile) widenFloat(a, b float64) {
	if !c.has {
		c.minF, c.maxF, c.has = a, b, true
	}
	c.minF, c.maxF = min(c.minF, a), max(c.maxF, b)
}

// Text forms of the bounds of DATE and TIMESTAMP items.
const (
	boundDate      = time.DateOnly
	boundTimestamp = "2006-01-02 15:04:05.999999"
)

func formatBound(t schemas.DataType, x int64) string {
	switch t {
	case schemas.Date:
		return arrow.Date32(x).ToTime().Format(boundDate)
	case schemas.Timestamp:
		return time.UnixMicro(x).UTC().Format(boundTimestamp)
	}
	return strconv.FormatInt(x, 10)
}

func parseBound(t schemas.DataType, s string) (int64, error) {
	switch t {
	case schemas.Date:
		d, err := time.Parse(boundDate, s)
		return int64(arrow.Date32FromTime(d)), err
	case schemas.Timestamp:
		ts, err := time.Parse(time.DateTime, s) // a fraction is read though the layout has none
		return ts.UnixMicro(), err
	}
	return strconv.ParseInt(s, 10, 64)
}

// clipText is the first MaxProfileText characters of s, without a mark: a prefix keeps the order.
func clipText(s []byte) string {
	n := 0
	for i := 0; i < len(s); {
		if n == lake.MaxProfileText {
			return string(s[:i])
		}
		_, size := utf8.DecodeRune(s[i:])
		i += size
		n++
	}
	return string(s)
}

// profiles are the stored forms of the accumulated profiles, in item order.
func (p *profiler) profiles() ([]lake.Profile, error) {
	out := make([]lake.Profile, len(p.cols))
	var enc sketchEncoder
	for i := range p.cols {
		c := &p.cols[i]
		// Codes and truth values enter the sketch and the bounds only now, once each: the same
		// as row by row.
		for code := range c.codes {
			c.insert(xxhash.Sum64String(code))
			c.boundString(code)
		}
		for b := range uint64(2) {
			if c.seen&(1<<b) != 0 {
				c.insert(mix64(b))
			}
		}
		sp := lake.Profile{Field: c.field, Type: string(c.typ), Rows: c.rows, Nulls: c.nulls, Others: c.others,
			Stale: c.stale, Approximate: c.approximate}
		if c.sketch != nil {
			sp.Distinct = c.sketch.Estimate()
			var err error
			if sp.Sketch, err = enc.encode(c.sketch); err != nil {
				return nil, fmt.Errorf("profile of %s: %w", c.field, err)
			}
		}
		if c.has {
			switch c.kind {
			case kindString:
				sp.Min, sp.Max = clipText(c.minS), clipText(c.maxS)
			case kindInt:
				sp.Min, sp.Max = formatBound(c.typ, c.minI), formatBound(c.typ, c.maxI)
			case kindFloat:
				sp.Min, sp.Max = strconv.FormatFloat(c.minF, 'g', -1, 64), strconv.FormatFloat(c.maxF, 'g', -1, 64)
			}
		}
		for _, cc := range c.codes {
			sp.Codes = append(sp.Codes, *cc)
		}
		slices.SortFunc(sp.Codes, func(a, b lake.CodeCount) int {
			return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Value, b.Value))
		})
		out[i] = sp
	}
	return out, nil
}

// sketchEncoder deflates sketches with one compressor: making one costs most of a megabyte.
type sketchEncoder struct{ w *flate.Writer }

// encode is the sketch's binary form deflated.
func (e *sketchEncoder) encode(sk *hyperloglog.Sketch) ([]byte, error) {
	raw, err := sk.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if e.w == nil {
		e.w, _ = flate.NewWriter(&b, flate.BestCompression) // the level is valid
	} else {
		e.w.Reset(&b)
	}
	if _, err := e.w.Write(raw); err != nil {
		return nil, err
	}
	if err := e.w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// maxSketchRaw bounds what a stored sketch inflates to: a dense sketch of sketchPrecision
// with its header.
const maxSketchRaw = 1<<sketchPrecision + 64

func decodeSketch(data []byte) (*hyperloglog.Sketch, error) {
	raw, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(data)), maxSketchRaw+1))
	if err != nil {
		return nil, fmt.Errorf("inflate sketch: %w", err)
	}
	if len(raw) > maxSketchRaw {
		return nil, fmt.Errorf("sketch inflates past %d bytes", maxSketchRaw)
	}
	sk := &hyperloglog.Sketch{}
	if err := sk.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("decode sketch: %w", err)
	}
	return sk, nil
}
