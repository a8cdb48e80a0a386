// Package openlineage reads and writes OpenLineage events (specification 2-0-2): it validates
// incoming events against the embedded official JSON Schemas, holds them in Go types that lose
// nothing they do not model, and sends ours to a file or an HTTP endpoint through a bounded queue
// that never holds up the caller.
package openlineage

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Producer identifies ecolake in the events and facets it emits.
const Producer = "https://github.com/cqeco/ecolake"

// Event types of a RunEvent: one START and one of COMPLETE, ABORT, FAIL per run; RUNNING and
// OTHER in between or after.
const (
	EventStart    = "START"
	EventRunning  = "RUNNING"
	EventComplete = "COMPLETE"
	EventAbort    = "ABORT"
	EventFail     = "FAIL"
	EventOther    = "OTHER"
)

// RunEvent is a state transition of one run of a job, with the datasets it read and wrote.
// Properties of the event itself beyond these are not kept.
type RunEvent struct {
	EventType string          `json:"eventType,omitempty"`
	EventTime time.Time       `json:"eventTime"`
	Producer  string          `json:"producer"`
	SchemaURL string          `json:"schemaURL"`
	Run       Run             `json:"run"`
	Job       Job             `json:"job"`
	Inputs    []InputDataset  `json:"inputs,omitempty"`
	Outputs   []OutputDataset `json:"outputs,omitempty"`
}

// Run is one execution of a job; RunID must be a UUID (see RunUUID).
type Run struct {
	RunID  string    `json:"runId"`
	Facets RunFacets `json:"facets,omitzero"`
}

// Job is what runs, named within a namespace.
type Job struct {
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"`
	Facets    JobFacets `json:"facets,omitzero"`
}

// InputDataset is a dataset a run read.
type InputDataset struct {
	Namespace   string             `json:"namespace"`
	Name        string             `json:"name"`
	Facets      DatasetFacets      `json:"facets,omitzero"`
	InputFacets InputDatasetFacets `json:"inputFacets,omitzero"`
}

// OutputDataset is a dataset a run wrote.
type OutputDataset struct {
	Namespace    string              `json:"namespace"`
	Name         string              `json:"name"`
	Facets       DatasetFacets       `json:"facets,omitzero"`
	OutputFacets OutputDatasetFacets `json:"outputFacets,omitzero"`
}

// NewRunEvent starts an event of ecolake's: eventType is one of the Event constants, runID our own
// run id or a UUID (it goes through RunUUID), at the moment of the transition.
func NewRunEvent(eventType, runID string, at time.Time, jobNamespace, jobName string) *RunEvent {
	return &RunEvent{
		EventType: eventType,
		EventTime: at.UTC(),
		Producer:  Producer,
		SchemaURL: RunEventSchemaURL,
		Run:       Run{RunID: RunUUID(runID)},
		Job:       Job{Namespace: jobNamespace, Name: jobName},
	}
}

// Marshal writes ev as compact JSON without escaping <, > and &, so that facets kept raw come
// back byte for byte when they were compact (json.Marshal would escape those three).
func Marshal(ev *RunEvent) ([]byte, error) { return marshalPlain(ev) }

// Check validates ev as Parse would validate it on arrival, for producers checking their own.
func (ev *RunEvent) Check() error {
	b, err := Marshal(ev)
	if err != nil {
		return err
	}
	_, err = Parse(b)
	return err
}

func marshalPlain(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads eventTime as the schema's date-time reads it (a lower-case t or z, a leap
// second), which time.Time's own decoder refuses.
func (ev *RunEvent) UnmarshalJSON(b []byte) error {
	type plain RunEvent
	var aux struct {
		plain
		EventTime string `json:"eventTime"`
	}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	t, err := parseTime(aux.EventTime)
	if err != nil {
		return err
	}
	*ev = RunEvent(aux.plain)
	ev.EventTime = t
	return nil
}

func parseTime(s string) (time.Time, error) {
	u := strings.ToUpper(s) // a valid date-time has no other letters than T and Z
	t, err := time.Parse(time.RFC3339Nano, u)
	if err == nil {
		return t, nil
	}
	if len(u) > 19 && u[17:19] == "60" { // a leap second: the next instant Go can hold
		if t, err2 := time.Parse(time.RFC3339Nano, u[:17]+"59"+u[19:]); err2 == nil {
			return t.Add(time.Second), nil
		}
	}
	return time.Time{}, fmt.Errorf("%w %q: %v", errEventTime, s, err)
}

var errEventTime = errors.New("eventTime")

// urlNamespace is the RFC 4122 name space for URLs; RunUUID names runs by URL under Producer.
var urlNamespace = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// RunUUID maps one of our run ids to the UUID OpenLineage requires: a name-based (version 5,
// SHA-1) UUID of Producer+"/run/"+id, so the same run always gets the same UUID. An id that is
// already a UUID is returned in lower case, unchanged otherwise.
func RunUUID(id string) string {
	if isUUID(id) {
		return strings.ToLower(id)
	}
	h := sha1.New()
	h.Write(urlNamespace[:])
	h.Write([]byte(Producer + "/run/" + id))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	hex.Encode(b[9:13], u[4:6])
	hex.Encode(b[14:18], u[6:8])
	hex.Encode(b[19:23], u[8:10])
	hex.Encode(b[24:], u[10:])
	b[8], b[13], b[18], b[23] = '-', '-', '-', '-'
	return string(b[:])
}

// isUUID accepts what the schema's uuid format accepts: 8-4-4-4-12 hexadecimal digits.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}
