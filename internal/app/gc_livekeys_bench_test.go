package app

import (
	"context"
	"fmt"
	"testing"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake/s3"
	"github.com/cqeco/ecolake/lake/s3/miniotest"
)

// BenchmarkLiveKeysMinIO times the collection's reading of the kept snapshots' manifests from a
// MinIO lake on loopback, one at a time against manifestReaders at once, on the same snapshots
// in the same process.
func BenchmarkLiveKeysMinIO(b *testing.B) {
	m := miniotest.Start(b)
	ctx := context.Background()
	cfg := grantSetup(b)
	cfg.Lake = "s3://ecolake-gc/lake"
	cfg.S3 = s3.Config{Endpoint: m.Endpoint, Bucket: "ecolake-gc", Prefix: "lake", AccessKey: m.AccessKey,
		SecretKey: s3.Secret(m.SecretKey), StallTimeout: s3.DefaultStallTimeout}
	// Each load replaces the table's rows: a manifest of one data file, as a district's full
	// resubmission makes (an appended table's manifest lists every file so far, and decoding it,
	// not the round trip, is then most of its cost).
	const loads = 300
	a := openWithLoads(b, cfg, loads, true)
	all := func(*catalog.Snapshot) bool { return true }
	parallel := manifestReaders
	defer func() { manifestReaders = parallel }()
	for _, readers := range []int{1, parallel} {
		b.Run(fmt.Sprintf("readers=%d", readers), func(b *testing.B) {
			manifestReaders = readers
			for b.Loop() {
				keys, err := a.liveKeys(ctx, a.Cat.View(), all)
				if err != nil {
					b.Fatal(err)
				}
				if len(keys) < loads {
					b.Fatalf("%d keys for %d snapshots", len(keys), loads)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*loads), "µs/manifest")
		})
	}
}
