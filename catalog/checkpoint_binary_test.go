package catalog

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fillAll sets every exported field of the struct v points at to a value that is not zero and
// differs from field to field, slices (and item lists) to two elements, times to UTC instants.
func fillAll(t *testing.T, v reflect.Value, seq *int) {
	t.Helper()
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fillAll(t, v.Elem(), seq)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[ItemList]() {
			var items []Item
			fillAll(t, reflect.ValueOf(&items).Elem(), seq)
			v.Set(reflect.ValueOf(ItemsOf(items...)))
			return
		}
		if v.Type() == reflect.TypeOf(time.Time{}) {
			*seq++
			v.Set(reflect.ValueOf(time.Date(2025, 1, 1, 0, 0, *seq, *seq*1000, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillAll(t, v.Field(i), seq)
			}
		}
	case reflect.String:
		*seq++
		v.SetString(fmt.Sprintf("值%d", *seq))
	case reflect.Int, reflect.Int32, reflect.Int64:
		*seq++
		v.SetInt(int64(*seq))
	case reflect.Uint64:
		*seq++
		v.SetUint(uint64(*seq))
	case reflect.Float64:
		*seq++
		v.SetFloat(float64(*seq) + 0.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fillAll(t, v.Index(i), seq)
		}
	default:
		t.Fatalf("fillAll: a field of kind %s: teach the binary codec and this test about it", v.Kind())
	}
}

// TestBinaryCodecCarriesEveryField: an entry, history versions, a snapshot and a run with every
// field set come back from a binary chunk as they went in. A field added to these types without
// its place in the format (checkpoint_binary.go, history_pack.go, checkpoint_loads.go) fails
// here.
func TestBinaryCodecCarriesEveryField(t *testing.T) {
	seq := 0
	var e Entry
	fillAll(t, reflect.ValueOf(&e), &seq)
	var h1, h2 History
	fillAll(t, reflect.ValueOf(&h1), &seq)
	fillAll(t, reflect.ValueOf(&h2), &seq)
	h2.Entry = h1.Entry
	row := (*historyRow)(nil).with(h1.Entry, &h1).with(h1.Entry, &h2)
	empty := &Entry{ResourceCode: "0101/000009"} // empty slices and zero times
	emptyVersion := History{Entry: empty.ResourceCode}
	emptyRow := (*historyRow)(nil).with(emptyVersion.Entry, &emptyVersion)
	var snap Snapshot
	fillAll(t, reflect.ValueOf(&snap), &seq)
	var run Run
	fillAll(t, reflect.ValueOf(&run), &seq)
	for _, tc := range []struct {
		typ  cmdType
		objs []any
	}{
		{ckptEntry, []any{&e, empty}},
		{ckptHistory, []any{row, emptyRow}},
		{ckptSnapshot, []any{&snap, &Snapshot{ID: "s-empty"}}},
		{ckptRun, []any{&run, &Run{ID: "r-empty"}}},
	} {
		var codec ckptCodec
		for _, tb := range ckptTables {
			if tb.typ == tc.typ {
				codec = tb.codec
			}
		}
		require.NotNil(t, codec.encodeBin, tc.typ)
		payload, err := encodeChunk(&bytes.Buffer{}, tc.typ, codec, tc.objs)
		require.NoError(t, err)
		assert.Equal(t, string(tc.typ)+"\nb", string(payload[:len(tc.typ)+2]))
		got, _, err := decodeChunk(map[string]ckptCodec{string(tc.typ): codec}, payload)
		require.NoError(t, err)
		if tc.typ == ckptEntry {
			for _, o := range got {
				o.(*Entry).marks = 0 // set by prepare (compactEntry), not stored
			}
		}
		assert.Equal(t, tc.objs, got, tc.typ)
		if tc.typ == ckptHistory {
			// The rows carry their packed strings as they are: what the packing keeps is
			// what a read decodes.
			versions, err := got[0].(*historyRow).versions()
			require.NoError(t, err)
			assert.Equal(t, []History{h1, h2}, versions)
			versions, err = got[1].(*historyRow).versions()
			require.NoError(t, err)
			assert.Equal(t, []History{emptyVersion}, versions)
		}

		// A chunk cut short is refused, never read as fewer objects.
		for _, cut := range []int{1, 7, len(payload) / 2} {
			_, _, err := decodeChunk(map[string]ckptCodec{string(tc.typ): codec}, payload[:len(payload)-cut])
			assert.Error(t, err, "%s cut by %d", tc.typ, cut)
		}
	}
}

// Signed varints read back as written, at the extremes too, and a cut one fails the reader.
func TestBinaryVarints(t *testing.T) {
	vals := []int64{math.MinInt64, -300, -1, 0, 1, 300, math.MaxInt64}
	w := &binWriter{}
	for _, v := range vals {
		w.varint(v)
	}
	r := &binReader{b: w.b}
	for _, v := range vals {
		assert.Equal(t, v, r.varint())
	}
	require.NoError(t, r.err)
	cut := &binReader{b: w.b[:len(w.b)-1]}
	for range vals {
		cut.varint()
	}
	assert.ErrorIs(t, cut.err, errBinShort)
}
