package catalog

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// ckptTable is one stored table of the checkpoint: its record type and how its objects are
// encoded, decoded and inserted. A table added to the catalogue is added here, or it is lost at
// restart.
type ckptTable struct {
	table string
	typ   cmdType
	codec ckptCodec
	// rows, when set, gives the objects a stored row holds, written in its place: the entries'
	// and the history's buckets are written as their entries and rows (entry_buckets.go,
	// history_buckets.go).
	rows func(row any) []any
}

// ckptTables lists the stored tables; the items table is derived from entries, not stored.
var ckptTables = []ckptTable{
	{tableDepartments, ckptDepartment, objectsOf[Department](tableDepartments), nil},
	{tableDistricts, ckptDistrict, objectsOf[schemas.District](tableDistricts), nil},
	{tableEntries, ckptEntry, binaryCodec(restoring(preparing(objectsWith(storeEntry), func(e *Entry) {
		legacyItemIDs(e)
		compactEntry(e)
	}), entryRestorer), binVersionShapes, encodeEntry, func(r *binReader, _ *Entry) *Entry { return decodeEntry(r) }), entryRows},
	{tableSnapshots, ckptSnapshot, binaryCodec(restoring(objectsWith(snapshotsByID.put), snapshotRestorer), binVersionLoads, encodeSnapshot, decodeSnapshot), bucketRows[Snapshot]},
	{tableRuns, ckptRun, binaryCodec(restoring(objectsWith(runsByID.put), runRestorer), binVersionLoads, encodeRun, decodeRun), bucketRows[Run]},
	{tablePrincipals, ckptPrincipal, objectsOf[Principal](tablePrincipals), nil},
	{tableTokens, ckptToken, objectsOf[Token](tableTokens), nil},
	{tableChanges, ckptChange, objectsOf[ChangeRequest](tableChanges), nil},
	{tableHistory, ckptHistory, historyCodec(), func(b any) []any {
		rows := b.(*historyBucket).Rows
		out := make([]any, len(rows))
		for i, r := range rows {
			out[i] = r
		}
		return out
	}},
	{tableGradings, ckptGrading, objectsOf[Evidence](tableGradings), nil},
	{tableBusinessItems, ckptBusinessItem, objectsOf[BusinessItem](tableBusinessItems), nil},
	{tableScenes, ckptScene, objectsOf[Scene](tableScenes), nil},
	{tableGrants, ckptGrant, objectsWith(insertGrant), nil},
	{tableConnections, ckptConnection, objectsOf[Connection](tableConnections), nil},
	{tablePIProposals, ckptPIProposal, objectsOf[PIProposal](tablePIProposals), nil},
	{tableExternalJobs, ckptExternalJob, objectsOf[ExternalJob](tableExternalJobs), nil},
	{tableFigureDays, ckptFigureDay, objectsOf[FigureDay](tableFigureDays), nil},
	{tablePurge, ckptPurge, objectsOf[purgeRow](tablePurge), nil},
	{tablePurged, ckptPurged, objectsWith(purgedCounts.put), bucketRows[purgedCount]},
}

// ckptCodec encodes and decodes the objects of one table and inserts them. A chunk of objects is
// a gob stream of values of up to ckptGroup objects each, []*T: decoding a value per object costs
// twice as much, one value per chunk makes gob's encoder copy its growing buffer over and over. A
// type that gob cannot carry (an interface field, say) falls back to a JSON array, so that a
// table added later never makes checkpoints fail. prepare, when set, readies a decoded object
// for insert in the decoding goroutines, off the single goroutine that inserts.
type ckptCodec struct {
	encodeGob  func(enc *gob.Encoder, objs []any) error
	decodeGob  func(dec *gob.Decoder) ([]any, error)
	decodeJSON func(raw []byte) ([]any, error)
	decodeV1   func(raw json.RawMessage) (any, error) // one object of a version 1 checkpoint
	prepare    func(obj any)
	insert     func(txn *memdb.Txn, obj any) error
	// encodeBin and decodeBin, when set, write and read the table's chunks in the binary format
	// (checkpoint_binary.go) instead of gob; a table whose rows only the binary format
	// carries (history) has no encodeGob.
	encodeBin func(w *binWriter, objs []any) error
	decodeBin func(body []byte) ([]any, error)
	// restore, when set, returns the insert of one checkpoint load, which may keep state from
	// one object to the next: a load inserts in file order, from one goroutine, into a state
	// that starts empty and that nobody reads before the load ends.
	restore func() func(txn *memdb.Txn, obj any) error
}

// ckptGroup is the number of objects per gob value in a chunk.
const ckptGroup = 64

// objectsOf is the codec of a table whose objects are inserted as they are.
func objectsOf[T any](table string) ckptCodec {
	return objectsWith(func(txn *memdb.Txn, obj *T) error { return txn.Insert(table, obj) })
}

// objectsWith is the codec of a table whose objects are inserted by insert.
func objectsWith[T any](insert func(txn *memdb.Txn, obj *T) error) ckptCodec {
	anys := func(objs []*T) []any {
		out := make([]any, len(objs))
		for i, o := range objs {
			out[i] = o
		}
		return out
	}
	shape := gobShapeOf[T]()
	return ckptCodec{
		encodeGob: func(enc *gob.Encoder, objs []any) error {
			typed := make([]*T, len(objs))
			for i, o := range objs {
				typed[i] = o.(*T)
			}
			for len(typed) > 0 {
				n := min(len(typed), ckptGroup)
				if err := shape.encode(enc, typed[:n]); err != nil {
					return err
				}
				typed = typed[n:]
			}
			return nil
		},
		decodeGob: func(dec *gob.Decoder) ([]any, error) {
			var out []any
			for {
				objs, err := shape.decode(dec)
				if errors.Is(err, io.EOF) {
					return out, nil
				} else if err != nil {
					return nil, err
				}
				for _, o := range objs {
					out = append(out, o)
				}
			}
		},
		decodeJSON: func(raw []byte) ([]any, error) {
			var objs []*T
			err := json.Unmarshal(raw, &objs)
			return anys(objs), err
		},
		decodeV1: func(raw json.RawMessage) (any, error) {
			obj := new(T)
			return obj, json.Unmarshal(raw, obj)
		},
		insert: func(txn *memdb.Txn, obj any) error { return insert(txn, obj.(*T)) },
	}
}

// restoring returns c with restore set to fn.
func restoring[T any](c ckptCodec, fn func() func(txn *memdb.Txn, obj *T) error) ckptCodec {
	c.restore = func() func(*memdb.Txn, any) error {
		insert := fn()
		return func(txn *memdb.Txn, obj any) error { return insert(txn, obj.(*T)) }
	}
	return c
}

// preparing returns c with prepare set to fn.
func preparing[T any](c ckptCodec, fn func(*T)) ckptCodec {
	c.prepare = func(obj any) { fn(obj.(*T)) }
	return c
}

// Chunk formats: the byte after the record type and its newline.
const (
	chunkGob    = 'g'
	chunkJSON   = 'j'
	chunkBinary = 'b' // checkpoint_binary.go
)

// encodeChunk returns the payload of one chunk frame, written into b (empty): the record type, a
// newline, the format and the objects, as gob or, when gob cannot carry them, as JSON.
func encodeChunk(b *bytes.Buffer, typ cmdType, codec ckptCodec, objs []any) ([]byte, error) {
	b.WriteString(string(typ) + "\n")
	if codec.encodeBin != nil {
		w := &binWriter{b: append(b.Bytes(), chunkBinary)}
		if err := codec.encodeBin(w, objs); err != nil {
			return nil, fmt.Errorf("encode checkpoint %s: %w", typ, err)
		}
		*b = *bytes.NewBuffer(w.b) // keep the grown buffer for the next chunk
		return w.b, nil
	}
	b.WriteByte(chunkGob)
	gobErr := codec.encodeGob(gob.NewEncoder(b), objs)
	if gobErr == nil {
		return b.Bytes(), nil
	}
	raw, err := json.Marshal(objs)
	if err != nil {
		return nil, fmt.Errorf("encode checkpoint %s: gob: %v; json: %w", typ, gobErr, err)
	}
	return append([]byte(string(typ)+"\n"+string(rune(chunkJSON))), raw...), nil
}

// decodeChunk decodes the objects of one chunk frame.
func decodeChunk(codecs map[string]ckptCodec, payload []byte) ([]any, func(*memdb.Txn, any) error, error) {
	typ, body, ok := bytes.Cut(payload, []byte("\n"))
	if !ok || len(body) == 0 {
		return nil, nil, fmt.Errorf("chunk without a record type and format")
	}
	codec, ok := codecs[string(typ)]
	if !ok {
		return nil, nil, fmt.Errorf("unknown record type %q", typ)
	}
	var (
		objs []any
		err  error
	)
	switch body[0] {
	case chunkGob:
		objs, err = codec.decodeGob(gob.NewDecoder(bytes.NewReader(body[1:])))
	case chunkJSON:
		objs, err = codec.decodeJSON(body[1:])
	case chunkBinary:
		if codec.decodeBin == nil {
			err = fmt.Errorf("no binary format for %s", typ)
			break
		}
		objs, err = codec.decodeBin(body[1:])
	default:
		err = fmt.Errorf("unknown chunk format %q", body[0])
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", typ, err)
	}
	if len(objs) == 0 {
		return nil, nil, fmt.Errorf("%s: empty chunk", typ)
	}
	if codec.prepare != nil {
		for _, o := range objs {
			codec.prepare(o)
		}
	}
	return objs, codec.insert, nil
}
