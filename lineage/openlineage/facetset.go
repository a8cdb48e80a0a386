package openlineage

import (
	"bytes"
	"encoding/json"
)

// The facets of one place in an event. Facets we model are typed; every other facet — custom ones,
// ones we do not model, and modelled ones our types cannot hold (a row count beyond int64, say) —
// is kept in Other as it arrived, so nothing is lost on a round trip. When a typed facet is set,
// it wins over an Other entry of the same key.

// RunFacets are the facets of a run.
type RunFacets struct {
	ErrorMessage *ErrorMessageRunFacet
	Other        map[string]json.RawMessage
}

// JobFacets are the facets of a job.
type JobFacets struct {
	SQL     *SQLJobFacet
	JobType *JobTypeJobFacet
	Other   map[string]json.RawMessage
}

// DatasetFacets are the facets of a dataset, input or output.
type DatasetFacets struct {
	Schema        *SchemaDatasetFacet
	ColumnLineage *ColumnLineageDatasetFacet
	Other         map[string]json.RawMessage
}

// InputDatasetFacets are the facets of a dataset as one run's input.
type InputDatasetFacets struct {
	DataQualityMetrics *DataQualityMetricsInputDatasetFacet
	Other              map[string]json.RawMessage
}

// OutputDatasetFacets are the facets of a dataset as one run's output.
type OutputDatasetFacets struct {
	OutputStatistics *OutputStatisticsOutputDatasetFacet
	Other            map[string]json.RawMessage
}

func (f RunFacets) IsZero() bool { return f.ErrorMessage == nil && len(f.Other) == 0 }

func (f RunFacets) MarshalJSON() ([]byte, error) {
	return marshalFacets(f.Other, slot("errorMessage", f.ErrorMessage))
}

func (f *RunFacets) UnmarshalJSON(b []byte) error {
	raw, err := splitFacets(b)
	if err != nil {
		return err
	}
	*f = RunFacets{ErrorMessage: take[ErrorMessageRunFacet](raw, "errorMessage")}
	f.Other = orNil(raw)
	return nil
}

func (f JobFacets) IsZero() bool { return f.SQL == nil && f.JobType == nil && len(f.Other) == 0 }

func (f JobFacets) MarshalJSON() ([]byte, error) {
	return marshalFacets(f.Other, slot("sql", f.SQL), slot("jobType", f.JobType))
}

func (f *JobFacets) UnmarshalJSON(b []byte) error {
	raw, err := splitFacets(b)
	if err != nil {
		return err
	}
	*f = JobFacets{SQL: take[SQLJobFacet](raw, "sql"), JobType: take[JobTypeJobFacet](raw, "jobType")}
	f.Other = orNil(raw)
	return nil
}

func (f DatasetFacets) IsZero() bool {
	return f.Schema == nil && f.ColumnLineage == nil && len(f.Other) == 0
}

func (f DatasetFacets) MarshalJSON() ([]byte, error) {
	return marshalFacets(f.Other, slot("schema", f.Schema), slot("columnLineage", f.ColumnLineage))
}

func (f *DatasetFacets) UnmarshalJSON(b []byte) error {
	raw, err := splitFacets(b)
	if err != nil {
		return err
	}
	*f = DatasetFacets{Schema: take[SchemaDatasetFacet](raw, "schema"),
		ColumnLineage: take[ColumnLineageDatasetFacet](raw, "columnLineage")}
	f.Other = orNil(raw)
	return nil
}

func (f InputDatasetFacets) IsZero() bool { return f.DataQualityMetrics == nil && len(f.Other) == 0 }

func (f InputDatasetFacets) MarshalJSON() ([]byte, error) {
	return marshalFacets(f.Other, slot("dataQualityMetrics", f.DataQualityMetrics))
}

func (f *InputDatasetFacets) UnmarshalJSON(b []byte) error {
	raw, err := splitFacets(b)
	if err != nil {
		return err
	}
	*f = InputDatasetFacets{DataQualityMetrics: take[DataQualityMetricsInputDatasetFacet](raw, "dataQualityMetrics")}
	f.Other = orNil(raw)
	return nil
}

func (f OutputDatasetFacets) IsZero() bool { return f.OutputStatistics == nil && len(f.Other) == 0 }

func (f OutputDatasetFacets) MarshalJSON() ([]byte, error) {
	return marshalFacets(f.Other, slot("outputStatistics", f.OutputStatistics))
}

func (f *OutputDatasetFacets) UnmarshalJSON(b []byte) error {
	raw, err := splitFacets(b)
	if err != nil {
		return err
	}
	*f = OutputDatasetFacets{OutputStatistics: take[OutputStatisticsOutputDatasetFacet](raw, "outputStatistics")}
	f.Other = orNil(raw)
	return nil
}

// facetSlot is one typed facet to write; val is nil when the facet is unset.
type facetSlot struct {
	key string
	val any
}

func slot[T any](key string, p *T) facetSlot {
	if p == nil {
		return facetSlot{key: key}
	}
	return facetSlot{key: key, val: p}
}

// marshalFacets writes the raw facets and the set typed ones as one object, keys sorted.
func marshalFacets(other map[string]json.RawMessage, slots ...facetSlot) ([]byte, error) {
	m := make(map[string]json.RawMessage, len(other)+len(slots))
	for k, v := range other {
		m[k] = v
	}
	for _, s := range slots {
		if s.val == nil {
			continue
		}
		b, err := marshalPlain(s.val)
		if err != nil {
			return nil, err
		}
		m[s.key] = b
	}
	return marshalPlain(m)
}

func splitFacets(b []byte) (map[string]json.RawMessage, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// take decodes the facet under key into its type and removes it from raw; a facet that is null or
// does not fit the type stays in raw.
func take[T any](raw map[string]json.RawMessage, key string) *T {
	r, ok := raw[key]
	if !ok || bytes.Equal(bytes.TrimSpace(r), []byte("null")) {
		return nil
	}
	v := new(T)
	if json.Unmarshal(r, v) != nil {
		return nil
	}
	delete(raw, key)
	return v
}

func orNil(raw map[string]json.RawMessage) map[string]json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	return raw
}
