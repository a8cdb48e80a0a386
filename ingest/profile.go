package ingest

import (
	"bytes"
	"cmp"
	"compress/flate"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/axiomhq/hyperloglog"
	"github.com/cespare/xxhash/v2"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// Every committed snapshot carries a profile per item (lake.Profile): rows, nulls, a distinct
// estimate, min and max, and for coded items the count of each code. A load profiles the rows it
// accepts, one call per row; the commit merges that with the parent's profile on an append, or
// with the profile of the rows it keeps, read back from their files, on a replacement.

// sketchPrecision is the HyperLogLog precision: 2^14 registers, a standard error of 0.8%. The
// sketch is dense from the start (an insert is one register update) and stored compressed:
// registers few values reached are mostly zero and cost little.
const sketchPrecision = 14

// profileKind is how an item's values are compared and hashed.
type profileKind uint8

const (
	kindString profileKind = iota
	kindInt                // INT, DATE (days since 1970-01-01), TIMESTAMP (microseconds)
	kindFloat
	kindBool
)

// profiler accumulates the profile of every item of an entry, in item order.
type profiler struct {
	cols []colProfile
}

// colProfile is the running profile of one item.
type colProfile struct {
	field       string
	typ         schemas.DataType
	kind        profileKind
	rows, nulls int64
	stale       int64               // of rows, those no longer in the snapshot (lake.Profile.Stale)
	sketch      *hyperloglog.Sketch // nil until the first value
	has         bool                // min and max hold a value
	minI, maxI  int64
	minF, maxF  float64
	minS, maxS  []byte                     // whole values: clipped only when stored, which keeps merges exact
	codes       map[string]*lake.CodeCount // each code's count, the key owned by Value
	last        *lake.CodeCount            // the code of the row before: a file's rows are mostly of one district
	others      int64
	seen        uint8 // BOOL: 1 false, 2 true
	approximate bool
}

func newProfiler(items []catalog.Item) *profiler {
	p := &profiler{cols: make([]colProfile, len(items))}
	for i, it := range items {
		c := &p.cols[i]
		c.field, c.typ = it.Field, it.Type
		switch it.Type {
		case schemas.Int, schemas.Date, schemas.Timestamp:
			c.kind = kindInt
		case schemas.Float:
			c.kind = kindFloat
		case schemas.Bool:
			c.kind = kindBool
		}
		if it.CodeList != "" && it.Type == schemas.String {
			c.codes = map[string]*lake.CodeCount{}
		}
	}
	return p
}

// note profiles an accepted row; vals are in item order.
func (p *profiler) note(vals []value) {
	for i := range p.cols {
		c, v := &p.cols[i], &vals[i]
		c.rows++
		if v.null {
			c.nulls++
			continue
		}
		switch c.typ {
		case schemas.String:
			c.addString(v.s)
		case schemas.Int:
			c.addInt(v.i)
		case schemas.Float:
			c.addFloat(v.f)
		case schemas.Bool:
			c.addBool(v.b)
		case schemas.Date:
			c.addInt(days(v.t))
		case schemas.Timestamp:
			c.addInt(v.t.UnixMicro()) // as the Parquet column holds it
		}
	}
}

// days is arrow.Date32FromTime for a date (midnight UTC, as schemas.ParseDate gives), the day
// the Parquet column holds, without its Truncate: days since 1970-01-01, rounded down.
func days(t time.Time) int64 {
	u := t.Unix()
	d := u / 86400
	if u%86400 < 0 {
		d--
	}
	return d
}

// mix64 is a 64-bit finaliser (splitmix64's): the hash of a fixed-width value, a bijection whose
// output bits are as good as a string hash's for the sketch.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func (c *colProfile) insert(h uint64) {
	if c.sketch == nil {
		c.sketch, _ = hyperloglog.NewSketch(sketchPrecision, false)
	}
	c.sketch.InsertHash(h)
}

// addString counts a text value. A coded item's values are counted per code, hashed and compared
// once per code when the profile is stored; codes past the bound are profiled one by one.
func (c *colProfile) addString(s string) {
	if c.codes != nil {
		if c.last != nil && s == c.last.Value {
			c.last.Count++
			return
		}
		if cc := c.codes[s]; cc != nil {
			cc.Count++
			c.last = cc
			return
		}
		if len(c.codes) < lake.MaxProfileCodes {
			cc := &lake.CodeCount{Value: strings.Clone(s), Count: 1} // s may be the record's
			c.codes[cc.Value], c.last = cc, cc
			return
		}
		c.others++
	}
	c.insert(xxhash.Sum64String(s))
	c.boundString(s)
}

func (c *colProfile) boundString(s string) {
	if !c.has {
		c.minS, c.maxS, c.has = append(c.minS[:0], s...), append(c.maxS[:0], s...), true
		return
	}
	if s < string(c.minS) {
		c.minS = append(c.minS[:0], s...)
	} else if s > string(c.maxS) {
		c.maxS = append(c.maxS[:0], s...)
	}
}

func (c *colProfile) addInt(x int64) {
	c.insert(mix64(uint64(x)))
	switch {
	case !c.has:
		c.minI, c.maxI, c.has = x, x, true
	case x < c.minI:
		c.minI = x
	case x > c.maxI:
		c.maxI = x
	}
}

func (c *colProfile) addFloat(f float64) {
	if f == 0 {
		f = 0 // -0 is 0
	}
	c.insert(mix64(math.Float64bits(f)))
	switch {
	case math.IsNaN(f): // not from a file (ParseFloat refuses it), but never a bound
	case !c.has:
		c.minF, c.maxF, c.has = f, f, true
	case f < c.minF:
		c.minF = f
	case f > c.maxF:
		c.maxF = f
	}
}

// addBool notes which of the two values occur; they enter the sketch when it is stored.
func (c *colProfile) addBool(b bool) {
	if b {
		c.seen |= 2
	} else {
		c.seen |= 1
	}
}

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
