package openlineage

import (
	"errors"
	"testing"
)

// FuzzParse: Parse never panics, refuses with one of its own errors, and what it accepts
// marshals back into an event it accepts again, unchanged.
func FuzzParse(f *testing.F) {
	b, err := Marshal(sampleEvent(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"eventTime":"2016-12-31t23:59:60z","producer":"https://p","schemaURL":"https://s","run":{"runId":"00000000-0000-0000-0000-000000000000","facets":{"x":{"_producer":"https://p","_schemaURL":"https://s"}}},"job":{"namespace":"n","name":"j"}}`))
	f.Add([]byte(`{"eventTime":"2024-05-01T08:00:00Z","producer":"https://p","schemaURL":"https://s","run":{"runId":"00000000-0000-0000-0000-000000000000"},"job":{"namespace":"n","name":"j"},"inputs":[{"namespace":"n","name":"d","inputFacets":{"dataQualityMetrics":{"_producer":"https://p","_schemaURL":"https://s","rowCount":1e400,"columnMetrics":{}}}}]}`))
	f.Add([]byte(`[[[[{"a":"\"]]]]"}]]]]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := Parse(data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrTooDeep) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		out, err := Marshal(ev)
		if err != nil {
			t.Fatalf("accepted event does not marshal: %v", err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("marshalled event refused: %v\n%s", err, out)
		}
		out2, err := Marshal(again)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("second round trip differs:\n%s\n%s", out, out2)
		}
	})
}
