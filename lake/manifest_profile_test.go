package lake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/lake"
)

func profiledManifest() *lake.Manifest {
	m := sampleManifest()
	m.Profiles = []lake.Profile{
		{Field: "station_code", Type: "STRING", Rows: 15, Distinct: 15, Sketch: []byte{1, 2, 3}, Min: "S001", Max: "S015"},
		{Field: "pm25", Type: "FLOAT", Rows: 15, Nulls: 2, Distinct: 9, Min: "-0.5", Max: "35"},
	}
	return m
}

// TestManifestProfilesRoundTrip: profiles are written and read back, the sketch as base64; a
// manifest written before profiles existed, without the key, still reads.
func TestManifestProfilesRoundTrip(t *testing.T) {
	ctx := context.Background()
	b := newLocal(t)
	m := profiledManifest()
	key, err := lake.WriteManifest(ctx, b, m)
	require.NoError(t, err)
	got, err := lake.ReadManifest(ctx, b, key)
	require.NoError(t, err)
	assert.Equal(t, m.Profiles, got.Profiles)
	raw := readAll(t, b, key)
	assert.Contains(t, raw, `"sketch": "AQID"`)

	old := sampleManifest()
	old.SnapshotID = "20250430T083000Z-0123456789abcdef"
	_, err = lake.WriteManifest(ctx, b, old)
	require.NoError(t, err)
	oldKey := lake.ManifestKey(old.Table, old.SnapshotID)
	require.NotContains(t, readAll(t, b, oldKey), "profiles", "omitted when there are none")
	got, err = lake.ReadManifest(ctx, b, oldKey)
	require.NoError(t, err)
	assert.Nil(t, got.Profiles)
}

func readAll(t *testing.T, b lake.Bucket, key string) string {
	t.Helper()
	rc, err := b.Get(context.Background(), key)
	require.NoError(t, err)
	defer rc.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(rc)
	require.NoError(t, err)
	return buf.String()
}

// TestManifestProfilesValidate: a profile that contradicts itself or its snapshot, or exceeds its
// bounds, makes the manifest invalid.
func TestManifestProfilesValidate(t *testing.T) {
	tests := []struct {
		name string
		mut  func(p []lake.Profile) []lake.Profile
		want string // "" when valid
	}{
		{"valid", func(p []lake.Profile) []lake.Profile { return p }, ""},
		{"stale rows beside the snapshot's", func(p []lake.Profile) []lake.Profile {
			p[0].Rows, p[0].Stale = 20, 5
			return p
		}, ""},
		{"rows not the snapshot's", func(p []lake.Profile) []lake.Profile { p[1].Rows = 14; return p }, "in a snapshot of 15"},
		{"more nulls than rows", func(p []lake.Profile) []lake.Profile { p[1].Nulls = 16; return p }, "nulls"},
		{"the same field twice", func(p []lake.Profile) []lake.Profile { return append(p, p[0]) }, "twice"},
		{"unknown type", func(p []lake.Profile) []lake.Profile { p[0].Type = "TEXT"; return p }, "unknown type"},
		{"field not an identifier", func(p []lake.Profile) []lake.Profile { p[0].Field = "a b"; return p }, "identifier"},
		{"bound too long", func(p []lake.Profile) []lake.Profile {
			p[0].Max = strings.Repeat("长", lake.MaxProfileText+1)
			return p
		}, "longer than"},
		{"too many codes", func(p []lake.Profile) []lake.Profile {
			p[0].Codes = make([]lake.CodeCount, lake.MaxProfileCodes+1)
			return p
		}, "codes"},
		{"sketch too large", func(p []lake.Profile) []lake.Profile { p[0].Sketch = make([]byte, 64<<10); return p }, "sketch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := profiledManifest()
			m.Rows, m.FormatVersion = 15, lake.FormatVersion
			m.Profiles = tt.mut(m.Profiles)
			err := m.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, lake.ErrInvalidManifest)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestProfileTop: the most frequent codes, at most n.
func TestProfileTop(t *testing.T) {
	p := lake.Profile{Codes: []lake.CodeCount{{Value: "a", Count: 3}, {Value: "b", Count: 1}}}
	assert.Equal(t, p.Codes[:1], p.Top(1))
	assert.Equal(t, p.Codes, p.Top(10))
	data, err := json.Marshal(lake.Profile{Field: "x", Type: "INT"})
	require.NoError(t, err)
	assert.NotContains(t, string(data), "codes", "empty parts are left out")
}
