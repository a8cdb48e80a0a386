package openlineage

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The OpenLineage schemas, copied unchanged from the project's spec/ folder (Apache License 2.0).
// They are the only schemas validation ever reads: the compiler's loader refuses every other URL,
// so validation works offline and cannot be steered to fetch anything.
//
//go:embed spec/OpenLineage.json spec/facets/*.json
var specFS embed.FS

// The embedded core specification and the definitions events are validated against.
const (
	SpecURL               = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
	RunEventSchemaURL     = SpecURL + "#/$defs/RunEvent"
	JobEventSchemaURL     = SpecURL + "#/$defs/JobEvent"
	DatasetEventSchemaURL = SpecURL + "#/$defs/DatasetEvent"
)

// facetKind is where a facet may appear, named after the core definition every facet of that
// place extends (the first allOf of a facet definition refers to it).
type facetKind string

const (
	runFacet     facetKind = "RunFacet"
	jobFacet     facetKind = "JobFacet"
	datasetFacet facetKind = "DatasetFacet"
	inputFacet   facetKind = "InputDatasetFacet"
	outputFacet  facetKind = "OutputDatasetFacet"
)

// facetSchema is one embedded facet definition and the key it is published under.
type facetSchema struct {
	Key    string    // key in a facets object, e.g. "schema"
	Kind   facetKind // where it may appear
	File   string    // e.g. "facets/SchemaDatasetFacet.json"
	URL    string    // $id#/$defs/Name: the _schemaURL of such facets
	schema *jsonschema.Schema
}

// compiledSpec is the compiled core schema and the facet registry; built once, read-only after.
type compiledSpec struct {
	top    *jsonschema.Schema // the top-level oneOf of the three event kinds
	events map[EventKind]*jsonschema.Schema
	facets map[facetKind]map[string]*facetSchema
}

var (
	specOnce sync.Once
	specVal  *compiledSpec
	specErr  error
)

// loadSpec compiles the embedded schemas on first use. An error here means the embedded files are
// broken, which the package tests catch.
func loadSpec() (*compiledSpec, error) {
	specOnce.Do(func() { specVal, specErr = compileSpec(specFS) })
	return specVal, specErr
}

// offlineLoader refuses every URL: all schemas validation needs are added as resources.
type offlineLoader struct{}

func (offlineLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("模式 %s 未内嵌，校验不联网加载", url)
}

// facetFile is what the registry reads from a facet schema: its $id, the keys it publishes in
// properties, and which core facet definition each of its definitions extends.
type facetFile struct {
	ID   string `json:"$id"`
	Defs map[string]struct {
		AllOf []struct {
			Ref string `json:"$ref"`
		} `json:"allOf"`
	} `json:"$defs"`
	Properties map[string]struct {
		Ref string `json:"$ref"`
	} `json:"properties"`
}

func compileSpec(fsys fs.FS) (*compiledSpec, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat() // uuid, date-time and uri are part of the contract, not annotations
	c.UseLoader(offlineLoader{})

	core, err := fs.ReadFile(fsys, "spec/OpenLineage.json")
	if err != nil {
		return nil, err
	}
	var coreHead struct {
		ID string `json:"$id"`
	}
	if err := json.Unmarshal(core, &coreHead); err != nil || coreHead.ID != SpecURL {
		return nil, fmt.Errorf("embedded core schema: $id %q, want %q (%v)", coreHead.ID, SpecURL, err)
	}
	if err := addResource(c, SpecURL, core); err != nil {
		return nil, err
	}
	facets, err := registerFacets(c, fsys)
	if err != nil {
		return nil, err
	}
	sp := &compiledSpec{events: map[EventKind]*jsonschema.Schema{}, facets: map[facetKind]map[string]*facetSchema{}}
	if sp.top, err = c.Compile(SpecURL); err != nil {
		return nil, fmt.Errorf("compile core schema: %w", err)
	}
	for k, u := range map[EventKind]string{KindRun: RunEventSchemaURL, KindJob: JobEventSchemaURL, KindDataset: DatasetEventSchemaURL} {
		if sp.events[k], err = c.Compile(u); err != nil {
			return nil, fmt.Errorf("compile %s: %w", u, err)
		}
	}
	for _, f := range facets {
		if f.schema, err = c.Compile(f.URL); err != nil {
			return nil, fmt.Errorf("compile %s: %w", f.URL, err)
		}
		if sp.facets[f.Kind] == nil {
			sp.facets[f.Kind] = map[string]*facetSchema{}
		}
		if prev := sp.facets[f.Kind][f.Key]; prev != nil {
			return nil, fmt.Errorf("facet key %q (%s) published by both %s and %s", f.Key, f.Kind, prev.File, f.File)
		}
		sp.facets[f.Kind][f.Key] = f
	}
	return sp, nil
}

// registerFacets adds each facet schema as a resource under its $id, so that the core schema and
// the facets' $refs to one another resolve from memory, and reads which facet key each publishes.
func registerFacets(c *jsonschema.Compiler, fsys fs.FS) ([]*facetSchema, error) {
	names, err := fs.Glob(fsys, "spec/facets/*.json")
	if err != nil {
		return nil, err
	}
	var out []*facetSchema
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		file := strings.TrimPrefix(name, "spec/")
		var ff facetFile
		if err := json.Unmarshal(data, &ff); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if !strings.HasPrefix(ff.ID, "https://openlineage.io/spec/facets/") || path.Base(ff.ID) != path.Base(file) {
			return nil, fmt.Errorf("%s: unexpected $id %q", file, ff.ID)
		}
		if err := addResource(c, ff.ID, data); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		for key, prop := range ff.Properties {
			def, ok := strings.CutPrefix(prop.Ref, "#/$defs/")
			if !ok || len(ff.Defs[def].AllOf) == 0 {
				return nil, fmt.Errorf("%s: property %q refers to %q, not a facet definition", file, key, prop.Ref)
			}
			kind, ok := strings.CutPrefix(ff.Defs[def].AllOf[0].Ref, SpecURL+"#/$defs/")
			if !ok {
				return nil, fmt.Errorf("%s: %s does not extend a 2-0-2 facet", file, def)
			}
			switch fk := facetKind(kind); fk {
			case runFacet, jobFacet, datasetFacet, inputFacet, outputFacet:
				out = append(out, &facetSchema{Key: key, Kind: fk, File: file, URL: ff.ID + "#/$defs/" + def})
			default:
				return nil, fmt.Errorf("%s: %s extends %s, not a facet", file, def, kind)
			}
		}
	}
	return out, nil
}

func addResource(c *jsonschema.Compiler, url string, data []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("schema %s: %w", url, err)
	}
	return c.AddResource(url, doc)
}
