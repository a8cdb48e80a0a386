package openlineage

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFacetRegistry holds which facet key validates against which embedded schema, read from the
// schemas' own definitions.
func TestFacetRegistry(t *testing.T) {
	sp, err := loadSpec()
	require.NoError(t, err)
	want := map[facetKind]map[string]string{
		runFacet: {"errorMessage": "facets/ErrorMessageRunFacet.json"},
		jobFacet: {"sql": "facets/SQLJobFacet.json", "jobType": "facets/JobTypeJobFacet.json"},
		datasetFacet: {
			"schema":        "facets/SchemaDatasetFacet.json",
			"columnLineage": "facets/ColumnLineageDatasetFacet.json",
			"documentation": "facets/DocumentationDatasetFacet.json",
			"ownership":     "facets/OwnershipDatasetFacet.json",
			"dataSource":    "facets/DatasourceDatasetFacet.json",
			"storage":       "facets/StorageDatasetFacet.json",
			"tags":          "facets/TagsDatasetFacet.json",
			"version":       "facets/DatasetVersionDatasetFacet.json",
		},
		inputFacet:  {"dataQualityMetrics": "facets/DataQualityMetricsInputDatasetFacet.json"},
		outputFacet: {"outputStatistics": "facets/OutputStatisticsOutputDatasetFacet.json"},
	}
	got := map[facetKind]map[string]string{}
	for k, byKey := range sp.facets {
		got[k] = map[string]string{}
		for key, f := range byKey {
			got[k][key] = f.File
			assert.NotNil(t, f.schema)
		}
	}
	assert.Equal(t, want, got)

	// The _schemaURL of every facet we emit is the definition we validate it against.
	for url, f := range map[string]*facetSchema{
		SchemaFacetURL:             sp.facets[datasetFacet]["schema"],
		ColumnLineageFacetURL:      sp.facets[datasetFacet]["columnLineage"],
		DataQualityMetricsFacetURL: sp.facets[inputFacet]["dataQualityMetrics"],
		OutputStatisticsFacetURL:   sp.facets[outputFacet]["outputStatistics"],
		ErrorMessageFacetURL:       sp.facets[runFacet]["errorMessage"],
		SQLFacetURL:                sp.facets[jobFacet]["sql"],
		JobTypeFacetURL:            sp.facets[jobFacet]["jobType"],
	} {
		assert.Equal(t, f.URL, url)
	}
}

// TestEmbeddedMatchesShared holds the embedded copy to the shared reference copy when the shared
// directory is present (it is in the workspace, not in a bare checkout).
func TestEmbeddedMatchesShared(t *testing.T) {
	shared := filepath.Join("..", "..", "..", "shared", "openlineage")
	if _, err := os.Stat(shared); err != nil {
		t.Skip("no shared copy of the OpenLineage schemas beside the repository")
	}
	names, err := filepath.Glob(filepath.Join(shared, "facets", "*.json"))
	require.NoError(t, err)
	names = append(names, filepath.Join(shared, "OpenLineage.json"))
	require.Len(t, names, 14)
	for _, name := range names {
		rel, err := filepath.Rel(shared, name)
		require.NoError(t, err)
		want, err := os.ReadFile(name)
		require.NoError(t, err)
		got, err := specFS.ReadFile("spec/" + filepath.ToSlash(rel))
		require.NoError(t, err, rel)
		assert.Equal(t, string(want), string(got), rel)
	}
}

// TestNothingLoadedFromOutside: a $ref to a schema we do not embed fails to compile rather than
// being fetched (or read from disk).
func TestNothingLoadedFromOutside(t *testing.T) {
	core, err := specFS.ReadFile("spec/OpenLineage.json")
	require.NoError(t, err)
	for _, ref := range []string{
		"https://openlineage.io/spec/facets/1-0-0/Elsewhere.json#/$defs/X",
		"file:///etc/passwd",
	} {
		facet := `{"$schema":"https://json-schema.org/draft/2020-12/schema",
			"$id":"https://openlineage.io/spec/facets/1-0-0/BadFacet.json",
			"$defs":{"BadFacet":{"allOf":[{"$ref":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet"},{"$ref":"` + ref + `"}]}},
			"properties":{"bad":{"$ref":"#/$defs/BadFacet"}}}`
		fsys := fstest.MapFS{
			"spec/OpenLineage.json":     {Data: core},
			"spec/facets/BadFacet.json": {Data: []byte(facet)},
		}
		_, err = compileSpec(fsys)
		require.Error(t, err, ref)
		assert.Contains(t, err.Error(), "未内嵌", ref)
	}
	_, err = offlineLoader{}.Load("https://openlineage.io/spec/2-0-2/OpenLineage.json")
	assert.Error(t, err)
}

func TestRunUUID(t *testing.T) {
	// Computed independently: Python's uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/cqeco/ecolake/run/load-42").
	assert.Equal(t, "ee3d2bec-7209-5226-9bc6-921fff1c4f61", RunUUID("load-42"))
	assert.Equal(t, RunUUID("load-42"), RunUUID("load-42"))
	assert.NotEqual(t, RunUUID("load-42"), RunUUID("load-43"))
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`), RunUUID(""))
	assert.Equal(t, "0190a3c5-7e1f-7abc-8def-0123456789ab", RunUUID("0190A3C5-7E1F-7ABC-8DEF-0123456789AB"))
	assert.NotEqual(t, "0190a3c5-7e1f-7abc-8def-0123456789a", RunUUID("0190a3c5-7e1f-7abc-8def-0123456789a"))
	assert.Equal(t, RunUUID("load-42"), NewRunEvent(EventStart, "load-42", time.Time{}, "n", "j").Run.RunID)
}
