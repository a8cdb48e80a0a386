package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// TestBackupRestoreRoundTrip: a spooled checkpoint holds the state of one view, however the
// catalogue moves on while it is read; restored into an empty directory it opens with exactly
// that state, at that index, and takes new commands after it.
func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s := openTest(t, testConfig(t.TempDir(), clock))
	defer s.Close()
	populate(t, s, clock)

	sp, err := s.SpoolCheckpoint(ctx)
	require.NoError(t, err)
	defer sp.Close()
	want := stateJSON(t, sp.View)
	assert.Equal(t, s.Index(), sp.Info.Index)
	// Written after the spool: not in the backup.
	require.NoError(t, s.PutDepartment(ctx, Department{Code: "WATER_DIV", Name: "水生态环境处", Kind: DepartmentDivision}))
	entries, _ := os.ReadDir(s.cfg.Dir)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), "backup-", "the spool has no name in the directory")
	}

	raw, err := io.ReadAll(sp.Reader())
	require.NoError(t, err)
	sum := sha256.Sum256(raw)
	assert.Equal(t, hex.EncodeToString(sum[:]), sp.Info.SHA256)
	assert.EqualValues(t, len(raw), sp.Info.Size)
	again, err := io.ReadAll(sp.Reader())
	require.NoError(t, err)
	assert.Equal(t, raw, again, "each reader starts at the beginning")

	dir := filepath.Join(t.TempDir(), "restored", "catalog")
	require.NoError(t, RestoreCheckpoint(ctx, dir, sp.Reader(), sp.Info))
	r := openTest(t, testConfig(dir, clock))
	assert.JSONEq(t, want, stateJSON(t, r.View()))
	_, err = r.View().Department("WATER_DIV")
	assert.ErrorIs(t, err, ErrNotFound, "a command after the backup is not restored")
	require.NoError(t, r.PutDepartment(ctx, Department{Code: "SOIL_DIV", Name: "土壤生态环境处", Kind: DepartmentDivision}))
	assert.Equal(t, sp.Info.Index+1, r.Index(), "the journal goes on from the backup's index")
	require.NoError(t, r.Close())
	r = openTest(t, testConfig(dir, clock))
	defer r.Close()
	_, err = r.View().Department("SOIL_DIV")
	assert.NoError(t, err, "a command after the restore survives a restart")
}

// TestRestoreCheckpointRefuses: a directory that holds anything, a checkpoint cut short or
// longer, a flipped byte (whether or not the backup's digest was forged to match it) and an
// index other than the backup's are refused, and leave the target as empty as they found it.
func TestRestoreCheckpointRefuses(t *testing.T) {
	ctx := context.Background()
	clock := newClock()
	s := openTest(t, testConfig(t.TempDir(), clock))
	defer s.Close()
	populate(t, s, clock)
	var buf bytes.Buffer
	info, err := s.View().WriteCheckpoint(&buf, clock.Now())
	require.NoError(t, err)
	good := buf.Bytes()
	digest := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	require.Equal(t, digest(good), info.SHA256)

	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x20
	withInfo := func(b []byte) CheckpointInfo {
		return CheckpointInfo{Index: info.Index, Size: int64(len(b)), SHA256: digest(b)}
	}
	cases := []struct {
		name string
		data []byte
		want CheckpointInfo
	}{
		{"cut short", good[:len(good)-10], info},
		{"longer", append(bytes.Clone(good), 0), info},
		{"flipped byte", flipped, info},
		{"flipped byte, digest forged", flipped, withInfo(flipped)},
		{"cut short, digest forged", good[:len(good)-10], withInfo(good[:len(good)-10])},
		{"other index", good, CheckpointInfo{Index: info.Index + 1, Size: info.Size, SHA256: info.SHA256}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			err := RestoreCheckpoint(ctx, dir, bytes.NewReader(c.data), c.want)
			require.ErrorIs(t, err, ErrCorrupt)
			left, rerr := os.ReadDir(dir)
			require.NoError(t, rerr)
			assert.Empty(t, left, "a refused restore leaves nothing")
		})
	}

	t.Run("not empty", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "note.txt"), []byte("x"), 0o600))
		err := RestoreCheckpoint(ctx, dir, bytes.NewReader(good), info)
		require.ErrorIs(t, err, ErrNotEmpty)
		assert.Contains(t, err.Error(), "note.txt")
	})
	t.Run("restored once, not twice", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, RestoreCheckpoint(ctx, dir, bytes.NewReader(good), info))
		require.ErrorIs(t, RestoreCheckpoint(ctx, dir, bytes.NewReader(good), info), ErrNotEmpty)
	})
	t.Run("source fails", func(t *testing.T) {
		dir := t.TempDir()
		boom := errors.New("connection reset")
		err := RestoreCheckpoint(ctx, dir, io.MultiReader(bytes.NewReader(good[:100]), errReader{boom}), info)
		require.ErrorIs(t, err, boom)
		left, _ := os.ReadDir(dir)
		assert.Empty(t, left)
	})
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestMayBackup: a backup holds every grade's data and every account, so only an enabled
// administrator cleared for core data may take one.
func TestMayBackup(t *testing.T) {
	admin := func(fn func(p *Principal)) *Principal {
		p := &Principal{ID: "ops", Name: "运维", Role: RoleAdmin, Clearance: schemas.Core}
		if fn != nil {
			fn(p)
		}
		return p
	}
	cases := []struct {
		name string
		p    *Principal
		want bool
	}{
		{"core administrator", admin(nil), true},
		{"administrator cleared below core", admin(func(p *Principal) { p.Clearance = schemas.Important }), false},
		{"disabled administrator", admin(func(p *Principal) { p.Disabled = true }), false},
		{"steward cleared for core", admin(func(p *Principal) { p.Role = RoleSteward }), false},
		{"reviewer", admin(func(p *Principal) { p.Role = RoleReviewer }), false},
		{"district", admin(func(p *Principal) { p.Role, p.Districts = RoleDistrict, []string{"500101"} }), false},
		{"no principal", nil, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, MayBackup(c.p), c.name)
	}
}
