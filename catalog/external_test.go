package catalog

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/schemas"
)

// TestExternalJobs: an outside job's datasets map onto the entries named by table or resource
// code that exist for the poster; a hidden or unknown one stays external; only those who may
// edit the directory record jobs; the jobs survive a restart and are found by the entries
// they read and write.
func TestExternalJobs(t *testing.T) {
	s, a, b, _ := derivedFixture(t)
	ctx := context.Background()
	secret := validEntry("000009", "hidden_table")
	secret.Status = StatusPublished
	setItem(secret, 1, func(it *Item) { it.Grade = schemas.Core })
	require.NoError(t, s.PutEntry(ctx, secret))

	job := ExternalJob{Namespace: "airflow://bureau", Name: "daily_export", LastRun: "r-1", LastEvent: "COMPLETE", Producer: "airflow",
		Inputs:  []DatasetRef{{Namespace: "postgres://x", Name: "air_hourly"}, {Namespace: "postgres://x", Name: "hidden_table"}},
		Outputs: []DatasetRef{{Namespace: "s3://y", Name: b}, {Namespace: "s3://y", Name: "report.csv"}}}
	got, err := s.PutExternalJob(ctx, wfSteward, job)
	require.NoError(t, err)
	assert.Equal(t, a, got.Inputs[0].Entry)
	assert.Empty(t, got.Inputs[1].Entry, "above the steward's clearance: kept external, as an unknown name")
	assert.Equal(t, b, got.Outputs[0].Entry)
	assert.Empty(t, got.Outputs[1].Entry)

	_, err = s.PutExternalJob(ctx, wfAnalyst, job)
	require.ErrorIs(t, err, schemas.ErrForbidden)
	long := job
	long.Name = strings.Repeat("x", maxExternalText+1)
	_, err = s.PutExternalJob(ctx, wfSteward, long)
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "job.name")

	require.NoError(t, s.Close())
	s2 := openTest(t, s.cfg)
	defer s2.Close()
	reads := s2.View().ExternalJobsOf(a, false)
	require.Len(t, reads, 1)
	assert.Equal(t, "airflow://bureau/daily_export", reads[0].Key)
	assert.Len(t, s2.View().ExternalJobsOf(b, true), 1)
	assert.Empty(t, s2.View().ExternalJobsOf(a, true))
}

// TestExternalJobsBoundedPerAccount: one tool's account records at most
// MaxExternalJobsPerAccount jobs; beyond that a new job is refused with the reason, while its
// recorded jobs may still be updated and another account is not affected. The column lineage an
// event brings is bounded too, and a field it names makes the job one that reads its entry.
func TestExternalJobsBoundedPerAccount(t *testing.T) {
	s, a, _, _ := derivedFixture(t)
	ctx := context.Background()
	job := func(i int) ExternalJob {
		return ExternalJob{Namespace: "airflow://bureau", Name: fmt.Sprintf("job_%04d", i), LastRun: "r"}
	}
	for i := range MaxExternalJobsPerAccount {
		_, err := s.PutExternalJob(ctx, wfSteward, job(i))
		require.NoError(t, err, i)
	}
	_, err := s.PutExternalJob(ctx, wfSteward, job(MaxExternalJobsPerAccount))
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "达到上限")
	_, err = s.PutExternalJob(ctx, wfSteward, job(7))
	require.NoError(t, err, "a recorded job is updated")
	other := *wfSteward
	other.ID = "steward-2"
	_, err = s.PutExternalJob(ctx, &other, job(MaxExternalJobsPerAccount))
	require.NoError(t, err)

	wide := ExternalJob{Namespace: "spark://bi", Name: "wide", LastRun: "r", Outputs: []DatasetRef{{Namespace: "s3://y", Name: "o"}}}
	for i := range MaxExternalColumnSources + 1 {
		wide.Outputs[0].Columns = append(wide.Outputs[0].Columns, ExternalColumn{Field: fmt.Sprint("f", i),
			Sources: []ExternalField{{Namespace: "s3://y", Name: "i", Field: "x", Via: ViaDirect}}})
	}
	_, err = s.PutExternalJob(ctx, &other, wide)
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), "超过上限")

	reader := ExternalJob{Namespace: "spark://bi", Name: "reader", LastRun: "r", Outputs: []DatasetRef{{Namespace: "s3://y", Name: "o",
		Columns: []ExternalColumn{{Field: "f", Sources: []ExternalField{{Namespace: "pg://x", Name: "air_hourly", Field: "station", Via: ViaGroup}}}}}}}
	got, err := s.PutExternalJob(ctx, &other, reader)
	require.NoError(t, err)
	assert.Equal(t, a, got.Outputs[0].Columns[0].Sources[0].Entry)
	reads := s.View().ExternalJobsOf(a, false)
	require.Len(t, reads, 1)
	assert.Equal(t, "spark://bi/reader", reads[0].Key)
}
