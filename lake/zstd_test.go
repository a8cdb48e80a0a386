package lake

import (
	"bytes"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestZstdPagesCodec: the lake's Parquet pages are compressed by the kept encoders, which many
// writers use at once; what they write decodes to what was written (DuckDB reads the files in
// the writer's tests).
func TestZstdPagesCodec(t *testing.T) {
	c, err := compress.GetCodec(compress.Codecs.Zstd)
	require.NoError(t, err)
	z, ok := c.(*zstdPages)
	require.True(t, ok, "registered over arrow-go's codec")
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			page := bytes.Repeat([]byte{byte(w), 1, 2, 3, 'a' + byte(w)}, 200_000+w)
			for _, level := range []int{compress.DefaultCompressionLevel, 1, 3} {
				enc := z.EncodeLevel(nil, page, level)
				assert.Less(t, len(enc), len(page)/10)
				assert.Equal(t, page, z.Decode(nil, enc))
			}
		}()
	}
	wg.Wait()
	z.mu.Lock()
	defer z.mu.Unlock()
	assert.Len(t, z.encs, 2, "one encoder per level, made once (the default level is 3)")
}
