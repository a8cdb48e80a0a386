package catalog

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/hashicorp/go-memdb"
)

// ckptInfo describes the checkpoint found at start-up.
type ckptInfo struct {
	index uint64
	size  int64
}

// loadCheckpoint restores the checkpoint of dir, if any, in one transaction. A checkpoint is
// installed by rename, so any damage in it is ErrCorrupt.
func loadCheckpoint(ctx context.Context, db *memdb.MemDB, dir string) (ckptInfo, error) {
	_ = os.Remove(filepath.Join(dir, checkpointTmp)) // left by a crash mid-write
	// A backup's spool is unlinked as soon as it is created (backup.go); a crash in between
	// leaves it. No backup of this directory runs while it is being opened: its lock is held.
	if spools, err := filepath.Glob(filepath.Join(dir, "backup-*.tmp")); err == nil {
		for _, p := range spools {
			_ = os.Remove(p)
		}
	}
	path := filepath.Join(dir, checkpointName)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return ckptInfo{}, nil
	}
	if err != nil {
		return ckptInfo{}, fmt.Errorf("read checkpoint: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ckptInfo{}, fmt.Errorf("read checkpoint: %w", err)
	}
	fr := &frameReader{name: path, r: bufio.NewReaderSize(f, 1<<20)}
	payload, off, n, err := fr.must()
	if err != nil {
		return ckptInfo{}, err
	}
	var (
		hrec record
		h    ckptHeaderBody
	)
	if json.Unmarshal(payload, &hrec) != nil || hrec.Type != ckptHeader || json.Unmarshal(hrec.Payload, &h) != nil {
		return ckptInfo{}, fr.bad(off, n, "missing header")
	}
	txn := db.Txn(true)
	defer txn.Abort()
	switch hrec.Version {
	case ckptVersion:
		err = loadChunks(ctx, txn, fr)
	case ckptVersionV1:
		err = loadRecordsV1(txn, fr)
	default:
		err = fr.bad(off, n, "version %d is not supported", hrec.Version)
	}
	if err == nil {
		err = buildKeySets(txn) // derived, never stored: once, over what was restored
	}
	if err == nil {
		// Older formats restore entries through storeEntry, which marks grade changes for a
		// command's propagation; a restored state is propagated already.
		_, err = txn.DeleteAll(tableRegrade, indexID)
	}
	if err == nil {
		err = buildLoadStates(txn)
	}
	if err == nil {
		err = buildFigureCells(txn) // after the load states it reads
	}
	if err != nil {
		return ckptInfo{}, err
	}
	if err := setIndex(txn, h.Index); err != nil {
		return ckptInfo{}, err
	}
	txn.Commit()
	return ckptInfo{index: h.Index, size: st.Size()}, nil
}

// frameReader reads the frames of a checkpoint one at a time.
type frameReader struct {
	name string
	r    *bufio.Reader
	off  int64 // offset of the next frame
	n    int   // number of the next frame
	// buf, when set, gives the buffer a payload of n bytes is read into (a pooled one).
	buf func(n int) []byte
}

// next returns the payload of the next frame with its offset and number, io.EOF at a clean end,
// or ErrCorrupt naming the damage.
func (fr *frameReader) next() ([]byte, int64, int, error) {
	off, n := fr.off, fr.n
	var h [frameHeader]byte
	if k, err := io.ReadFull(fr.r, h[:]); err != nil {
		if k == 0 && errors.Is(err, io.EOF) {
			return nil, off, n, io.EOF
		}
		return nil, off, n, fr.bad(off, n, "incomplete frame header")
	}
	length := binary.LittleEndian.Uint32(h[0:4])
	if length == 0 || length > maxRecordLength {
		return nil, off, n, fr.bad(off, n, "bad length %d", length)
	}
	var payload []byte
	if fr.buf != nil {
		payload = fr.buf(int(length))
	} else {
		payload = make([]byte, length)
	}
	if _, err := io.ReadFull(fr.r, payload); err != nil {
		return nil, off, n, fr.bad(off, n, "incomplete record of %d bytes", length)
	}
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(h[4:8]) {
		return nil, off, n, fr.bad(off, n, "checksum mismatch")
	}
	fr.off += int64(frameHeader) + int64(length)
	fr.n++
	return payload, off, n, nil
}

// must is next where a clean end is damage too: more was expected.
func (fr *frameReader) must() ([]byte, int64, int, error) {
	p, off, n, err := fr.next()
	if errors.Is(err, io.EOF) {
		err = fmt.Errorf("%s: incomplete at offset %d: %w", fr.name, off, ErrCorrupt)
	}
	return p, off, n, err
}

func (fr *frameReader) bad(off int64, n int, format string, args ...any) error {
	return fmt.Errorf("%s: record %d at offset %d: %s: %w", fr.name, n, off, fmt.Sprintf(format, args...), ErrCorrupt)
}

// endRecord checks that payload is the end record counting objects, and that nothing follows.
func (fr *frameReader) endRecord(payload []byte, off int64, n, objects int) error {
	var (
		rec record
		e   ckptEndBody
	)
	if json.Unmarshal(payload, &rec) != nil || rec.Type != ckptEnd {
		return fr.bad(off, n, "neither objects nor the end record")
	}
	if err := json.Unmarshal(rec.Payload, &e); err != nil || e.Objects != objects {
		return fr.bad(off, n, "end record counts %d objects, read %d", e.Objects, objects)
	}
	if _, off, n, err := fr.next(); !errors.Is(err, io.EOF) {
		return fr.bad(off, n, "data after the end record")
	}
	return nil
}

// loadCodecs returns the codecs of one checkpoint load: a table restored by a stateful
// inserter (ckptCodec.restore) gets a fresh one.
func loadCodecs() map[cmdType]ckptCodec {
	codecs := map[cmdType]ckptCodec{}
	for _, t := range ckptTables {
		c := t.codec
		if c.restore != nil {
			c.insert = c.restore()
		}
		codecs[t.typ] = c
	}
	return codecs
}

// chunk is one frame of objects on its way through the decoders.
type chunk struct {
	off     int64
	n       int
	payload []byte
	end     bool // payload is the end record
	err     error
	objs    []any
	insert  func(*memdb.Txn, any) error
	done    chan struct{} // closed once decoded (or at once for the end and for errors)
}

// loadChunks reads the objects of a version 2 checkpoint: this goroutine's helper reads frames,
// as many decoders as there are processors decode them, and the caller's goroutine inserts the
// objects in file order into txn (a memdb transaction is not safe for concurrent use).
func loadChunks(ctx context.Context, txn *memdb.Txn, fr *frameReader) error {
	codecs := map[string]ckptCodec{}
	for typ, c := range loadCodecs() {
		codecs[string(typ)] = c
	}
	workers := runtime.GOMAXPROCS(0)
	stop := make(chan struct{})
	defer close(stop)
	// Payloads are read into pooled buffers and given back once decoded (decoding copies what
	// it keeps): a few chunks are in flight at a time, and the whole file is never allocated.
	var pool sync.Pool
	fr.buf = func(n int) []byte {
		if b, ok := pool.Get().(*[]byte); ok && cap(*b) >= n {
			return (*b)[:n]
		}
		return make([]byte, n)
	}
	defer func() { fr.buf = nil }()
	jobs := make(chan *chunk)
	order := make(chan *chunk, 4*workers)
	go func() { // reader: the frames in order, each to order and to a decoder
		defer close(jobs)
		for {
			c := &chunk{done: make(chan struct{})}
			c.payload, c.off, c.n, c.err = fr.must()
			last := c.err != nil || c.payload[0] == '{' // the end record is the only JSON frame
			if last {
				c.end = c.err == nil
				close(c.done)
			}
			select {
			case order <- c:
			case <-stop:
				return
			}
			if last {
				return // fr is the caller's from here on (endRecord)
			}
			select {
			case jobs <- c:
			case <-stop:
				close(c.done)
				return
			}
		}
	}()
	for range workers {
		go func() {
			for c := range jobs {
				c.objs, c.insert, c.err = decodeChunk(codecs, c.payload)
				if c.err != nil {
					c.err = fr.bad(c.off, c.n, "%v", c.err)
				}
				b := c.payload
				c.payload = nil
				pool.Put(&b)
				close(c.done)
			}
		}()
	}
	objects := 0
	for {
		c := <-order
		<-c.done
		if c.err != nil {
			return c.err
		}
		if c.end {
			return fr.endRecord(c.payload, c.off, c.n, objects)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, obj := range c.objs {
			if err := c.insert(txn, obj); err != nil {
				return fr.bad(c.off, c.n, "%v", err)
			}
		}
		objects += len(c.objs)
	}
}

// loadRecordsV1 reads the objects of a version 1 checkpoint: one JSON record per object.
func loadRecordsV1(txn *memdb.Txn, fr *frameReader) error {
	codecs := loadCodecs()
	objects := 0
	for {
		payload, off, n, err := fr.must()
		if err != nil {
			return err
		}
		var rec record
		if err := json.Unmarshal(payload, &rec); err != nil {
			return fr.bad(off, n, "%v", err)
		}
		if rec.Version != ckptVersionV1 {
			return fr.bad(off, n, "version %d is not supported", rec.Version)
		}
		if rec.Type == ckptEnd {
			return fr.endRecord(payload, off, n, objects)
		}
		codec, ok := codecs[rec.Type]
		if !ok {
			return fr.bad(off, n, "unknown record type %q", rec.Type)
		}
		obj, err := codec.decodeV1(rec.Payload)
		if err == nil && codec.prepare != nil {
			codec.prepare(obj)
		}
		if err == nil {
			err = codec.insert(txn, obj)
		}
		if err != nil {
			return fr.bad(off, n, "%s: %v", rec.Type, err)
		}
		objects++
	}
}
