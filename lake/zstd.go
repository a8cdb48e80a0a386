package lake

import (
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// zstdPages is the zstd codec the lake's Parquet files are written with: arrow-go's own keeps its
// encoders in a sync.Pool, which every garbage collection empties, and a new encoder allocates
// (and the runtime zeroes) its history window again, several megabytes for each data page
// written after a collection: a tenth of the CPU of an ingest. These encoders are made once per
// level and kept; an Encoder's EncodeAll is safe for concurrent use. Everything else is arrow-go's
// codec.
type zstdPages struct {
	compress.Codec
	mu   sync.Mutex
	encs map[zstd.EncoderLevel]*zstd.Encoder
}

func (z *zstdPages) encoder(level int) *zstd.Encoder {
	l := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		l = zstd.EncoderLevelFromZstd(level)
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	enc, ok := z.encs[l]
	if !ok {
		// A page is at most a few megabytes: a window of its size compresses it as well.
		enc, _ = zstd.NewWriter(nil, zstd.WithZeroFrames(true), zstd.WithEncoderLevel(l), zstd.WithWindowSize(4<<20))
		z.encs[l] = enc
	}
	return enc
}

func (z *zstdPages) Encode(dst, src []byte) []byte {
	return z.encoder(compress.DefaultCompressionLevel).EncodeAll(src, dst[:0])
}

func (z *zstdPages) EncodeLevel(dst, src []byte, level int) []byte {
	return z.encoder(level).EncodeAll(src, dst[:0])
}

func init() {
	codec, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		panic(err) // arrow-go registers zstd in its own init
	}
	compress.RegisterCodec(compress.Codecs.Zstd, &zstdPages{Codec: codec, encs: map[zstd.EncoderLevel]*zstd.Encoder{}})
}
