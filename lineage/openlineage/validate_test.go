package openlineage

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSampleEventValidates(t *testing.T) {
	ev := sampleEvent(t)
	require.NoError(t, ev.Check())
	b, err := Marshal(ev)
	require.NoError(t, err)
	k, err := Validate(b)
	require.NoError(t, err)
	assert.Equal(t, KindRun, k)
	for _, want := range []string{`"schemaURL":"` + RunEventSchemaURL + `"`, `"_producer":"` + Producer + `"`,
		`"runId":"ee3d2bec-7209-5226-9bc6-921fff1c4f61"`, `"eventType":"FAIL"`, `"eventTime":"2024-05-01T00:30:15.123456789Z"`} {
		assert.Contains(t, string(b), want)
	}
}

func TestRoundTrip(t *testing.T) {
	ev := sampleEvent(t)
	b, err := Marshal(ev)
	require.NoError(t, err)
	got, err := Parse(b)
	require.NoError(t, err)
	assert.Equal(t, ev, got, "typed facets and raw ones survive marshal→Parse")
	assert.Equal(t, []byte(customFacet), []byte(got.Inputs[0].Facets.Other["custom"]), "unknown facet byte-equal")
	again, err := Marshal(got)
	require.NoError(t, err)
	assert.Equal(t, string(b), string(again))

	// An event as another producer writes it, indented: its unknown facets keep their exact bytes.
	var pretty bytes.Buffer
	require.NoError(t, json.Indent(&pretty, b, "", "    "))
	got, err = Parse(pretty.Bytes())
	require.NoError(t, err)
	raw := got.Inputs[0].Facets.Other["custom"]
	assert.True(t, bytes.Contains(pretty.Bytes(), raw), "raw facet is the input's own bytes")
	assert.Contains(t, string(raw), ",\n                    \"note\": \"a < b && c > d，中文\"")
}

// A modelled facet that the schema admits but our type cannot hold stays raw instead of failing
// the event or losing the value.
func TestUnfittingFacetStaysRaw(t *testing.T) {
	doc := sampleDoc(t)
	dq := at(t, doc, "inputs", 0, "inputFacets")
	dq["dataQualityMetrics"] = map[string]any{"_producer": Producer, "_schemaURL": DataQualityMetricsFacetURL,
		"rowCount": json.Number("100000000000000000000000"), "columnMetrics": map[string]any{}}
	ev, err := Parse(mustJSON(t, doc))
	require.NoError(t, err)
	assert.Nil(t, ev.Inputs[0].InputFacets.DataQualityMetrics)
	raw := ev.Inputs[0].InputFacets.Other["dataQualityMetrics"]
	assert.Contains(t, string(raw), `"rowCount":100000000000000000000000`)
	b, err := Marshal(ev)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"rowCount":100000000000000000000000`)
}

func TestParseLenientTimes(t *testing.T) {
	for in, want := range map[string]string{
		"2024-05-01t08:00:00z":      "2024-05-01T08:00:00Z",
		"2016-12-31T23:59:60Z":      "2017-01-01T00:00:00Z",
		"2024-05-01T08:00:00+08:00": "2024-05-01T00:00:00Z",
	} {
		doc := sampleDoc(t)
		doc["eventTime"] = in
		ev, err := Parse(mustJSON(t, doc))
		require.NoError(t, err, in)
		assert.Equal(t, want, ev.EventTime.UTC().Format("2006-01-02T15:04:05Z07:00"), in)
	}
	var ev RunEvent
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"eventTime":"2024-13-01T00:00:00Z"}`), &ev), errEventTime)
}

func TestInvalidEvents(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(doc map[string]any)
		want   []string
	}{
		{"missing eventTime", func(d map[string]any) { delete(d, "eventTime") }, []string{"/eventTime"}},
		{"eventTime wrong type", func(d map[string]any) { d["eventTime"] = 1714550400 }, []string{"/eventTime"}},
		{"eventTime not a date-time", func(d map[string]any) { d["eventTime"] = "2024-05-01 08:00" }, []string{"/eventTime"}},
		{"runId not a uuid", func(d map[string]any) { at(t, d, "run")["runId"] = "load-42" }, []string{"/run/runId"}},
		{"eventType not in enum", func(d map[string]any) { d["eventType"] = "DONE" }, []string{"/eventType"}},
		{"producer not a uri", func(d map[string]any) { d["producer"] = "ecolake" }, []string{"/producer"}},
		{"missing run and job", func(d map[string]any) { delete(d, "run"); delete(d, "job") }, []string{"/job", "/run"}},
		{"job name wrong type", func(d map[string]any) { at(t, d, "job")["name"] = []any{"x"} }, []string{"/job/name"}},
		{"known facet missing _producer", func(d map[string]any) {
			delete(at(t, d, "run", "facets", "errorMessage"), "_producer")
		}, []string{"/run/facets/errorMessage/_producer"}},
		{"custom facet missing _producer and _schemaURL", func(d map[string]any) {
			at(t, d, "job", "facets")["mine"] = map[string]any{"x": 1}
		}, []string{"/job/facets/mine/_producer", "/job/facets/mine/_schemaURL"}},
		{"custom facet not an object", func(d map[string]any) { at(t, d, "job", "facets")["mine"] = "x" }, []string{"/job/facets/mine"}},
		{"schema field without name", func(d map[string]any) {
			delete(at(t, d, "inputs", 0, "facets", "schema", "fields", 1), "name")
		}, []string{"/inputs/0/facets/schema/fields/1/name"}},
		{"schema field type wrong type", func(d map[string]any) {
			at(t, d, "outputs", 0, "facets", "schema", "fields", 0)["type"] = 7
		}, []string{"/outputs/0/facets/schema/fields/0/type"}},
		{"rowCount not an integer", func(d map[string]any) {
			at(t, d, "inputs", 0, "inputFacets", "dataQualityMetrics")["rowCount"] = 1.5
		}, []string{"/inputs/0/inputFacets/dataQualityMetrics/rowCount"}},
		{"dataQualityMetrics without columnMetrics", func(d map[string]any) {
			delete(at(t, d, "inputs", 0, "inputFacets", "dataQualityMetrics"), "columnMetrics")
		}, []string{"/inputs/0/inputFacets/dataQualityMetrics/columnMetrics"}},
		{"errorMessage without programmingLanguage", func(d map[string]any) {
			delete(at(t, d, "run", "facets", "errorMessage"), "programmingLanguage")
		}, []string{"/run/facets/errorMessage/programmingLanguage"}},
		{"sql without query", func(d map[string]any) { delete(at(t, d, "job", "facets", "sql"), "query") }, []string{"/job/facets/sql/query"}},
		{"column lineage input without field, key escaped", func(d map[string]any) {
			f := at(t, d, "outputs", 0, "facets", "columnLineage", "fields")
			f["a/b~c"] = map[string]any{"inputFields": []any{map[string]any{"namespace": "n", "name": "t"}}}
		}, []string{"/outputs/0/facets/columnLineage/fields/a~1b~0c/inputFields/0/field"}},
		{"outputStatistics size wrong type", func(d map[string]any) {
			at(t, d, "outputs", 0, "outputFacets", "outputStatistics")["size"] = "big"
		}, []string{"/outputs/0/outputFacets/outputStatistics/size"}},
		{"a dataset facet key under inputFacets is a custom facet", func(d map[string]any) {
			at(t, d, "inputs", 0, "inputFacets")["schema"] = map[string]any{"_producer": Producer, "_schemaURL": SchemaFacetURL, "fields": "x"}
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			doc := sampleDoc(t)
			c.mutate(doc)
			b := mustJSON(t, doc)
			_, err := Parse(b)
			if c.want == nil {
				require.NoError(t, err)
				return
			}
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			assert.ErrorIs(t, err, ErrInvalid)
			var got []string
			for _, p := range ve.Problems {
				got = append(got, p.Pointer)
				assert.NotEmpty(t, p.Message)
				assert.True(t, strings.ContainsFunc(p.Message, isHan), "message in Chinese: %q", p.Message)
			}
			assert.Equal(t, c.want, got, "problems: %v", ve.Problems)
			for _, ptr := range c.want {
				assert.Contains(t, err.Error(), ptr)
			}
			assert.True(t, strings.HasPrefix(err.Error(), "事件不符合 OpenLineage 2-0-2 规范"), err.Error())
		})
	}
}

func isHan(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }

func TestProblemMessages(t *testing.T) {
	doc := sampleDoc(t)
	doc["eventType"] = "DONE"
	at(t, doc, "run")["runId"] = "load-42"
	delete(doc, "eventTime")
	_, err := Parse(mustJSON(t, doc))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, []Problem{
		{"/eventTime", "缺少必需的属性 eventTime"},
		{"/eventType", `取值应为 "START"、"RUNNING"、"COMPLETE"、"ABORT"、"FAIL"、"OTHER" 之一，实际为 "DONE"`},
		{"/run/runId", `"load-42" 不是合法的 UUID`},
	}, ve.Problems)
}

func TestBounds(t *testing.T) {
	big := append([]byte(`{"x":"`), bytes.Repeat([]byte("a"), MaxEventBytes)...)
	big = append(big, `"}`...)
	_, err := Parse(big)
	assert.ErrorIs(t, err, ErrTooLarge)

	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	_, err = Parse([]byte(deep))
	assert.ErrorIs(t, err, ErrTooDeep)
	_, err = Parse([]byte(`{"a":` + strings.Repeat(`{"b":`, MaxDepth) + "1" + strings.Repeat("}", MaxDepth+1)))
	assert.ErrorIs(t, err, ErrTooDeep)

	// At the limit it is not refused as too deep; brackets inside strings do not count.
	_, err = Parse([]byte(strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)))
	assert.ErrorIs(t, err, ErrInvalid)
	doc := sampleDoc(t)
	at(t, doc, "job")["name"] = strings.Repeat(`[{"\"`, 100)
	_, err = Parse(mustJSON(t, doc))
	assert.NoError(t, err)

	for _, bad := range []string{``, `{`, `{"a":1} {}`, `{"a":1}x`, `nul`} {
		_, err = Parse([]byte(bad))
		assert.ErrorIs(t, err, ErrMalformed, bad)
	}
	_, err = Parse([]byte(`[]`))
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestValidateKinds(t *testing.T) {
	job := map[string]any{"eventTime": "2024-05-01T08:00:00Z", "producer": Producer, "schemaURL": JobEventSchemaURL,
		"job": map[string]any{"namespace": "n", "name": "j", "facets": map[string]any{"sql": map[string]any{"_producer": Producer, "_schemaURL": SQLFacetURL, "query": "SELECT 1"}}}}
	k, err := Validate(mustJSON(t, job))
	require.NoError(t, err)
	assert.Equal(t, KindJob, k)

	// Parse wants a run.
	_, err = Parse(mustJSON(t, job))
	assert.Equal(t, []string{"/run"}, pointers(t, err))

	// Facets of a job event are held to their schemas too.
	delete(at(t, job, "job", "facets", "sql"), "query")
	k, err = Validate(mustJSON(t, job))
	assert.Equal(t, KindJob, k)
	assert.Equal(t, []string{"/job/facets/sql/query"}, pointers(t, err))

	ds := map[string]any{"eventTime": "2024-05-01T08:00:00Z", "producer": Producer, "schemaURL": DatasetEventSchemaURL,
		"dataset": map[string]any{"namespace": "n", "name": "d", "facets": map[string]any{"schema": map[string]any{"_producer": Producer, "_schemaURL": SchemaFacetURL, "fields": []any{map[string]any{"type": "INT"}}}}}}
	k, err = Validate(mustJSON(t, ds))
	assert.Equal(t, KindDataset, k)
	assert.Equal(t, []string{"/dataset/facets/schema/fields/0/name"}, pointers(t, err))
	at(t, ds, "dataset", "facets", "schema", "fields", 0)["name"] = "c"
	k, err = Validate(mustJSON(t, ds))
	require.NoError(t, err)
	assert.Equal(t, KindDataset, k)

	// A job and a dataset without a run fit both JobEvent and DatasetEvent: oneOf refuses it.
	ds["job"] = map[string]any{"namespace": "n", "name": "j"}
	_, err = Validate(mustJSON(t, ds))
	assert.Equal(t, []string{""}, pointers(t, err))
	assert.Contains(t, err.Error(), "（事件本身）")
}

func pointers(t *testing.T, err error) []string {
	t.Helper()
	var ve *ValidationError
	require.True(t, errors.As(err, &ve), "want *ValidationError, got %v", err)
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.Pointer)
	}
	return out
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// TestParseChecksWhatItReads: Go reads member names without regard to case, the schema does
// not; a facet under "fACets" that the schema never saw is checked as read, and refused when it
// lacks what every facet carries.
func TestParseChecksWhatItReads(t *testing.T) {
	_, err := Parse([]byte(`{"eventTime":"2024-05-01T08:00:00Z","producer":"https://p","schemaURL":"https://s",` +
		`"run":{"runId":"00000000-0000-0000-0000-000000000000","fACets":{"x":{"a":"b"}}},"job":{"namespace":"n","name":"j"}}`))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, ve.Error(), "大小写")
	assert.Contains(t, ve.Error(), "/run/facets/x/_producer")
}
