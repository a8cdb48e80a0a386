package openlineage

import "time"

// _schemaURL of the facets we emit: the definitions of the embedded facet schema versions (a test
// holds these to the embedded files).
const (
	SchemaFacetURL             = "https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
	ColumnLineageFacetURL      = "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"
	DataQualityMetricsFacetURL = "https://openlineage.io/spec/facets/1-0-3/DataQualityMetricsInputDatasetFacet.json#/$defs/DataQualityMetricsInputDatasetFacet"
	OutputStatisticsFacetURL   = "https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet"
	ErrorMessageFacetURL       = "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet"
	SQLFacetURL                = "https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet"
	JobTypeFacetURL            = "https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
)

// BaseFacet is what every facet carries. Deleted is defined for job and dataset facets only.
type BaseFacet struct {
	Producer  string `json:"_producer"`
	SchemaURL string `json:"_schemaURL"`
	Deleted   bool   `json:"_deleted,omitempty"`
}

func base(schemaURL string) BaseFacet { return BaseFacet{Producer: Producer, SchemaURL: schemaURL} }

// Ptr returns a pointer to v, for the optional numbers of the facets.
func Ptr[T any](v T) *T { return &v }

// SchemaDatasetFacet (facet key "schema") lists a dataset's fields.
type SchemaDatasetFacet struct {
	BaseFacet
	Fields []SchemaField `json:"fields,omitempty"`
}

// SchemaField is one field of a dataset; Fields nests the fields of a struct.
type SchemaField struct {
	Name            string        `json:"name"`
	Type            string        `json:"type,omitempty"`
	Description     string        `json:"description,omitempty"`
	OrdinalPosition int           `json:"ordinal_position,omitempty"` // 1-based; 0 when not given
	Fields          []SchemaField `json:"fields,omitempty"`
}

// NewSchemaFacet returns a schema facet of ecolake's.
func NewSchemaFacet(fields ...SchemaField) *SchemaDatasetFacet {
	return &SchemaDatasetFacet{BaseFacet: base(SchemaFacetURL), Fields: fields}
}

// Transformation types and subtypes of column lineage. The 1-2-0 facet schema documents them but
// does not enforce them, so incoming events may carry others.
const (
	TransformationDirect   = "DIRECT"
	TransformationIndirect = "INDIRECT"

	SubtypeIdentity       = "IDENTITY"
	SubtypeTransformation = "TRANSFORMATION"
	SubtypeAggregation    = "AGGREGATION"
	SubtypeFilter         = "FILTER"
	SubtypeJoin           = "JOIN"
	SubtypeGroupBy        = "GROUP_BY"
	SubtypeSort           = "SORT"
	SubtypeWindow         = "WINDOW"
	SubtypeConditional    = "CONDITIONAL"
)

// ColumnLineageDatasetFacet (facet key "columnLineage") maps each output field to the input fields
// it was computed from; Dataset lists inputs that affect the whole dataset (filters, joins, …).
type ColumnLineageDatasetFacet struct {
	BaseFacet
	Fields  map[string]ColumnLineageField `json:"fields"`
	Dataset []InputField                  `json:"dataset,omitempty"`
}

// ColumnLineageField is the lineage of one output field. The two Transformation strings are
// deprecated by the spec in favour of InputField.Transformations and kept for round trips.
type ColumnLineageField struct {
	InputFields               []InputField `json:"inputFields"`
	TransformationDescription string       `json:"transformationDescription,omitempty"`
	TransformationType        string       `json:"transformationType,omitempty"`
}

// InputField is one field of one input dataset.
type InputField struct {
	Namespace       string           `json:"namespace"`
	Name            string           `json:"name"`
	Field           string           `json:"field"`
	Transformations []Transformation `json:"transformations,omitempty"`
}

// Transformation says how an input field reaches the output: Type DIRECT or INDIRECT, Subtype one
// of the Subtype constants.
type Transformation struct {
	Type        string `json:"type"`
	Subtype     string `json:"subtype,omitempty"`
	Description string `json:"description,omitempty"`
	Masking     bool   `json:"masking"`
}

// NewColumnLineageFacet returns an empty column lineage facet of ecolake's; Add fills it.
func NewColumnLineageFacet() *ColumnLineageDatasetFacet {
	return &ColumnLineageDatasetFacet{BaseFacet: base(ColumnLineageFacetURL), Fields: map[string]ColumnLineageField{}}
}

// Add records that output field out is computed from inputs.
func (f *ColumnLineageDatasetFacet) Add(out string, inputs ...InputField) {
	if f.Fields == nil {
		f.Fields = map[string]ColumnLineageField{}
	}
	cl := f.Fields[out]
	cl.InputFields = append(cl.InputFields, inputs...)
	f.Fields[out] = cl
}

// MarshalJSON writes the required fields and inputFields as empty rather than null when unset.
func (f ColumnLineageDatasetFacet) MarshalJSON() ([]byte, error) {
	type plain ColumnLineageDatasetFacet
	p := plain(f)
	p.Fields = make(map[string]ColumnLineageField, len(f.Fields))
	for k, v := range f.Fields {
		if v.InputFields == nil {
			v.InputFields = []InputField{}
		}
		p.Fields[k] = v
	}
	return marshalPlain(p)
}

// DataQualityMetricsInputDatasetFacet (input facet key "dataQualityMetrics") profiles the data a
// run read. ColumnMetrics is keyed by column name.
type DataQualityMetricsInputDatasetFacet struct {
	BaseFacet
	RowCount      *int64                   `json:"rowCount,omitempty"`
	Bytes         *int64                   `json:"bytes,omitempty"`
	FileCount     *int64                   `json:"fileCount,omitempty"`
	LastUpdated   *time.Time               `json:"lastUpdated,omitempty"`
	ColumnMetrics map[string]ColumnMetrics `json:"columnMetrics"`
}

// ColumnMetrics profiles one column; nil means not measured.
type ColumnMetrics struct {
	NullCount     *int64             `json:"nullCount,omitempty"`
	DistinctCount *int64             `json:"distinctCount,omitempty"`
	Sum           *float64           `json:"sum,omitempty"`
	Count         *float64           `json:"count,omitempty"`
	Min           *float64           `json:"min,omitempty"`
	Max           *float64           `json:"max,omitempty"`
	Quantiles     map[string]float64 `json:"quantiles,omitempty"`
}

// NewDataQualityMetricsFacet returns a metrics facet of ecolake's for rows rows and size bytes.
func NewDataQualityMetricsFacet(rows, size int64) *DataQualityMetricsInputDatasetFacet {
	return &DataQualityMetricsInputDatasetFacet{BaseFacet: base(DataQualityMetricsFacetURL),
		RowCount: Ptr(rows), Bytes: Ptr(size), ColumnMetrics: map[string]ColumnMetrics{}}
}

// MarshalJSON writes the required columnMetrics as empty rather than null when unset.
func (f DataQualityMetricsInputDatasetFacet) MarshalJSON() ([]byte, error) {
	type plain DataQualityMetricsInputDatasetFacet
	p := plain(f)
	if p.ColumnMetrics == nil {
		p.ColumnMetrics = map[string]ColumnMetrics{}
	}
	return marshalPlain(p)
}

// OutputStatisticsOutputDatasetFacet (output facet key "outputStatistics") counts what a run wrote.
type OutputStatisticsOutputDatasetFacet struct {
	BaseFacet
	RowCount  *int64 `json:"rowCount,omitempty"`
	Size      *int64 `json:"size,omitempty"`
	FileCount *int64 `json:"fileCount,omitempty"`
}

// NewOutputStatisticsFacet returns an output statistics facet of ecolake's.
func NewOutputStatisticsFacet(rows, size int64) *OutputStatisticsOutputDatasetFacet {
	return &OutputStatisticsOutputDatasetFacet{BaseFacet: base(OutputStatisticsFacetURL), RowCount: Ptr(rows), Size: Ptr(size)}
}

// ErrorMessageRunFacet (run facet key "errorMessage") says why a run failed.
type ErrorMessageRunFacet struct {
	BaseFacet
	Message             string `json:"message"`
	ProgrammingLanguage string `json:"programmingLanguage"`
	StackTrace          string `json:"stackTrace,omitempty"`
}

// NewErrorMessageFacet returns an error facet of ecolake's (written in Go).
func NewErrorMessageFacet(message, stackTrace string) *ErrorMessageRunFacet {
	return &ErrorMessageRunFacet{BaseFacet: base(ErrorMessageFacetURL), Message: message, ProgrammingLanguage: "GO", StackTrace: stackTrace}
}

// SQLJobFacet (job facet key "sql") is the query a job runs.
type SQLJobFacet struct {
	BaseFacet
	Query   string `json:"query"`
	Dialect string `json:"dialect,omitempty"`
}

// NewSQLFacet returns a SQL facet of ecolake's.
func NewSQLFacet(query, dialect string) *SQLJobFacet {
	return &SQLJobFacet{BaseFacet: base(SQLFacetURL), Query: query, Dialect: dialect}
}

// JobTypeJobFacet (job facet key "jobType") classifies a job.
type JobTypeJobFacet struct {
	BaseFacet
	ProcessingType  string           `json:"processingType"` // BATCH, STREAMING or SERVICE
	Integration     string           `json:"integration"`
	JobType         string           `json:"jobType,omitempty"`
	EmissionPattern *EmissionPattern `json:"emissionPattern,omitempty"`
}

// EmissionPattern says when a job emits events and whether each is complete on its own.
type EmissionPattern struct {
	EventTrigger     string `json:"eventTrigger"`
	EventContentMode string `json:"eventContentMode"`
	WindowDuration   int64  `json:"windowDuration,omitempty"` // seconds, at least 1 when given
}

// NewJobTypeFacet returns a job type facet of ecolake's.
func NewJobTypeFacet(processingType, integration, jobType string) *JobTypeJobFacet {
	return &JobTypeJobFacet{BaseFacet: base(JobTypeFacetURL), ProcessingType: processingType, Integration: integration, JobType: jobType}
}
