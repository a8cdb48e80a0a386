package ingest

import (
	"math"
	"strings"
	"time"

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
