package catalog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Framing shared by journal segments and checkpoints: each record is a 4-byte little-endian
// payload length, a 4-byte little-endian CRC-32C of the payload, then the payload.
const (
	frameHeader     = 8
	maxRecordLength = 256 << 20

	segmentPrefix = "journal-"
	segmentSuffix = ".log"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// frame returns the framed bytes of one payload.
func frame(payload []byte) []byte {
	return appendFrame(make([]byte, 0, frameHeader+len(payload)), payload)
}

// frameScan is the outcome of scanning a framed file.
type frameScan struct {
	good int64 // offset just after the last intact record
	torn bool  // the bytes after good are a torn final record (cut them)
}

// scanFrames calls fn with every intact record of data in order. A damaged record that reaches
// the end of data (short header, short payload, CRC mismatch on the final record, or a zero-filled
// tail) is reported as torn; a damaged record followed by more data is ErrCorrupt naming the file
// and offset.
func scanFrames(name string, data []byte, fn func(off int64, n int, payload []byte) error) (frameScan, error) {
	var off int64
	n := 0
	size := int64(len(data))
	for off < size {
		rest := data[off:]
		if len(rest) < frameHeader {
			return frameScan{good: off, torn: true}, nil
		}
		length := int64(binary.LittleEndian.Uint32(rest[0:4]))
		sum := binary.LittleEndian.Uint32(rest[4:8])
		// A zero length starts either a zero-filled tail (space the file system allocated before
		// a crash: torn) or damage. Only then is the rest looked at, so a scan stays linear.
		if length == 0 && isZero(rest) {
			return frameScan{good: off, torn: true}, nil
		}
		if length == 0 || length > maxRecordLength {
			return frameScan{}, fmt.Errorf("%s: record %d at offset %d: bad length %d: %w", name, n, off, length, ErrCorrupt)
		}
		end := frameHeader + length
		if end > int64(len(rest)) {
			return frameScan{good: off, torn: true}, nil
		}
		payload := rest[frameHeader:end]
		if crc32.Checksum(payload, castagnoli) != sum {
			if end == int64(len(rest)) {
				return frameScan{good: off, torn: true}, nil
			}
			return frameScan{}, fmt.Errorf("%s: record %d at offset %d: checksum mismatch with %d bytes following: %w",
				name, n, off, int64(len(rest))-end, ErrCorrupt)
		}
		if err := fn(off, n, payload); err != nil {
			return frameScan{}, err
		}
		off += end
		n++
	}
	return frameScan{good: off}, nil
}

func isZero(b []byte) bool {
	return len(b) > 0 && bytes.Count(b, []byte{0}) == len(b)
}

// segment is one journal file; first is the index of the first record it was opened for.
type segment struct {
	path  string
	first uint64
}

func segmentName(first uint64) string {
	return fmt.Sprintf("%s%020d%s", segmentPrefix, first, segmentSuffix)
}

// listSegments returns the journal segments of dir in index order.
func listSegments(dir string) ([]segment, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list journal segments: %w", err)
	}
	var out []segment
	for _, de := range des {
		n := de.Name()
		if !strings.HasPrefix(n, segmentPrefix) || !strings.HasSuffix(n, segmentSuffix) {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(n, segmentPrefix), segmentSuffix), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("journal segment %s: bad name: %w", n, ErrCorrupt)
		}
		out = append(out, segment{path: filepath.Join(dir, n), first: first})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].first < out[j].first })
	return out, nil
}

// journal is the open, append-only segment that receives new commands. Batches of framed records
// are written and fsynced by the group commit's leader (commit.go).
type journal struct {
	seg    segment
	f      *os.File
	synced int64 // bytes covered by the last successful fsync
}

func openJournal(seg segment) (*journal, error) {
	f, err := os.OpenFile(seg.path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", seg.path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat journal %s: %w", seg.path, err)
	}
	if _, err := f.Seek(st.Size(), 0); err != nil {
		f.Close()
		return nil, fmt.Errorf("seek journal %s: %w", seg.path, err)
	}
	return &journal{seg: seg, f: f, synced: st.Size()}, nil
}

// appendFrame appends the frame of payload to dst.
func appendFrame(dst, payload []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint32(dst, crc32.Checksum(payload, castagnoli))
	return append(dst, payload...)
}

// appendFramed appends a frame whose payload fill appends, without a copy of the payload.
func appendFramed(dst []byte, fill func([]byte) ([]byte, error)) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, frameHeader)...)
	dst, err := fill(dst)
	if err != nil {
		return dst[:start], err
	}
	payload := dst[start+frameHeader:]
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(dst[start+4:], crc32.Checksum(payload, castagnoli))
	return dst, nil
}

// commit writes b, whole frames, at the end of the segment and fsyncs it.
func (j *journal) commit(b []byte) error {
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("append journal %s: %w", j.seg.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync journal %s: %w", j.seg.path, err)
	}
	j.synced += int64(len(b))
	return nil
}

// cut truncates the segment back to what the last fsync covered, so that records whose commit
// failed (whole or half written) do not come back at the next start, makes the cut durable and
// positions the next write there.
func (j *journal) cut() error {
	if err := j.f.Truncate(j.synced); err != nil {
		return fmt.Errorf("truncate journal %s: %w", j.seg.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync cut journal %s: %w", j.seg.path, err)
	}
	if _, err := j.f.Seek(j.synced, 0); err != nil {
		return fmt.Errorf("seek journal %s: %w", j.seg.path, err)
	}
	return nil
}

func (j *journal) close() error {
	if j == nil || j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// syncDir makes a rename or create in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
