package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// The directory document that `ecolake entry import` reads and POST /api/v1/entries accepts: one
// entry object, an array of entries, or {"departments": [...], "entries": [...]}. Keys are the
// snake_case names of shared/STANDARDS.md §1; code-list values may be ids or Chinese names.

type departmentJSON struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Kind string `json:"kind"` // division, centre, corps
}

type itemJSON struct {
	ID          int    `json:"id,omitempty"` // the catalogue's item id: keeps an item across a rename
	Name        string `json:"name"`
	Field       string `json:"field"`
	Type        string `json:"type"`
	Length      int    `json:"length"`
	Required    bool   `json:"required"`
	IsKey       bool   `json:"is_key"`
	Grade       string `json:"grade"`
	PIType      string `json:"pi_type"`
	CodeList    string `json:"code_list"`
	Description string `json:"description"`
	Min         string `json:"min,omitempty"` // inclusive range, written as the type parses it
	Max         string `json:"max,omitempty"`
}

type entryJSON struct {
	ResourceCode   string     `json:"resource_code"`
	Name           string     `json:"name"`
	Table          string     `json:"table"`
	CategoryCode   string     `json:"category_code"`
	ProviderName   string     `json:"provider_name"`
	ProviderCode   string     `json:"provider_code"`
	Abstract       string     `json:"abstract"`
	FormatType     string     `json:"format_type"`
	ShareType      string     `json:"share_type"`
	ShareCondition string     `json:"share_condition"`
	ShareMode      string     `json:"share_mode"`
	OpenType       string     `json:"open_type"`
	OpenCondition  string     `json:"open_condition"`
	SharingBasis   string     `json:"sharing_basis,omitempty"` // 共享开放法律依据
	UpdateCycle    string     `json:"update_cycle"`
	PublishDate    string     `json:"publish_date,omitempty"` // read, then ignored: the workflow publishes
	Status         string     `json:"status,omitempty"`       // read, then ignored: the workflow sets it
	RelatedCodes   []string   `json:"related_resource_codes"`
	Department     string     `json:"department"`
	District       string     `json:"district"`
	SourceKind     string     `json:"source_kind"`
	Domains        []string   `json:"domains"`
	BusinessItems  []string   `json:"business_items"`
	Scenes         []string   `json:"scenes"`
	Secret         bool       `json:"secret"`
	Exempt         bool       `json:"exempt"`
	ExemptReason   string     `json:"exempt_reason"`
	GradeOverride  string     `json:"grade_override"`
	Items          []itemJSON `json:"items"`
	// Load settings (catalog/loadsettings.go): rules every row must pass, the write mode
	// (append 追加 or upsert 按主键更新), the share of invalid rows a load may hold (0–100, absent
	// for the service's default) and the partition columns.
	Rules              []string `json:"rules,omitempty"`
	WriteMode          string   `json:"write_mode,omitempty"`
	MaxRejectedPercent *float64 `json:"max_rejected_percent,omitempty"`
	Partitions         []string `json:"partitions,omitempty"`
	// Snapshot retention (catalog/retention.go): how many snapshots are kept, the current one
	// among them, and for how many days a replaced one is kept; absent for the service's
	// default, 0 for no bound of that kind.
	RetainSnapshots *int `json:"retain_snapshots,omitempty"`
	RetainDays      *int `json:"retain_days,omitempty"`
}

type directoryJSON struct {
	Departments []json.RawMessage `json:"departments"`
	Entries     []json.RawMessage `json:"entries"`
}

// Directory is a decoded directory document, ready for the catalogue.
type Directory struct {
	Departments []catalog.Department
	Entries     []*catalog.Entry
}

// maxDirectoryBytes bounds one directory document.
const maxDirectoryBytes = 8 << 20

// DecodeDirectory reads a directory document. Unknown keys are refused, so that a misspelt field
// is never silently dropped.
func DecodeDirectory(r io.Reader) (*Directory, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxDirectoryBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read directory document: %w", err)
	}
	if len(data) > maxDirectoryBytes {
		return nil, docErrorf("目录文件超过 %d MiB", maxDirectoryBytes>>20)
	}
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	doc := &Directory{}
	switch {
	case len(data) == 0:
		return nil, docErrorf("目录文件为空")
	case data[0] == '[':
		var raws []json.RawMessage
		if err := strictJSON(data, &raws, "目录数组"); err != nil {
			return nil, err
		}
		return doc, doc.addEntries(raws)
	case data[0] != '{':
		return nil, docErrorf("目录文件应为 JSON 对象或数组")
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(data, &keys); err != nil {
		return nil, jsonProblem("目录文件", err)
	}
	_, hasEntries := keys["entries"]
	_, hasDepartments := keys["departments"]
	if !hasEntries && !hasDepartments {
		return doc, doc.addEntries([]json.RawMessage{data})
	}
	var dj directoryJSON
	if err := strictJSON(data, &dj, "目录文件"); err != nil {
		return nil, err
	}
	for i, raw := range dj.Departments {
		var d departmentJSON
		if err := strictJSON(raw, &d, fmt.Sprintf("departments[%d]", i)); err != nil {
			return nil, err
		}
		doc.Departments = append(doc.Departments, catalog.Department{Code: d.Code, Name: d.Name, Kind: d.Kind})
	}
	return doc, doc.addEntries(dj.Entries)
}

func (doc *Directory) addEntries(raws []json.RawMessage) error {
	for i, raw := range raws {
		where := fmt.Sprintf("entries[%d]", i)
		var ej entryJSON
		if err := strictJSON(raw, &ej, where); err != nil {
			return err
		}
		e, err := ej.entry(where)
		if err != nil {
			return err
		}
		doc.Entries = append(doc.Entries, e)
	}
	return nil
}

// entry maps the document's entry onto the catalogue's, resolving Chinese names of codes; anything
// unknown is passed on for the catalogue's validation to name.
func (ej *entryJSON) entry(where string) (*catalog.Entry, error) {
	e := &catalog.Entry{
		ResourceCode: strings.TrimSpace(ej.ResourceCode), Name: strings.TrimSpace(ej.Name), Table: strings.TrimSpace(ej.Table),
		CategoryCode: lookupID(schemas.Categories, ej.CategoryCode), ProviderName: ej.ProviderName,
		ProviderCode: strings.TrimSpace(ej.ProviderCode), Abstract: ej.Abstract, FormatType: lookupID(schemas.FormatTypes, ej.FormatType),
		ShareType: lookupID(schemas.ShareTypes, ej.ShareType), ShareCondition: ej.ShareCondition,
		ShareMode: lookupID(schemas.ShareModes, ej.ShareMode), OpenType: lookupID(schemas.OpenTypes, ej.OpenType),
		OpenCondition: ej.OpenCondition, SharingBasis: ej.SharingBasis, UpdateCycle: schemas.UpdateCycle(lookupID(schemas.UpdateCycles, ej.UpdateCycle)),
		Status: lookupID(schemas.EntryStatuses, ej.Status), RelatedCodes: ej.RelatedCodes, Department: strings.TrimSpace(ej.Department),
		District: districtCode(ej.District), SourceKind: lookupID(schemas.SourceKinds, ej.SourceKind),
		BusinessItems: ej.BusinessItems, Scenes: ej.Scenes, Secret: ej.Secret, Exempt: ej.Exempt, ExemptReason: ej.ExemptReason,
	}
	if e.Status == "" {
		e.Status = catalog.StatusDraft
	}
	e.Rules, e.Partitions, e.MaxRejectedPercent = trimmed(ej.Rules), trimmed(ej.Partitions), ej.MaxRejectedPercent
	e.RetainSnapshots, e.RetainDays = ej.RetainSnapshots, ej.RetainDays
	e.WriteMode = writeModeID(ej.WriteMode)
	if ej.GradeOverride != "" {
		e.GradeOverride = schemas.Grade(lookupID(schemas.Grades, ej.GradeOverride))
	}
	for _, d := range ej.Domains {
		e.Domains = append(e.Domains, lookupID(schemas.Domains, d))
	}
	if s := strings.TrimSpace(ej.PublishDate); s != "" {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			if t, err = time.Parse(time.RFC3339, s); err != nil {
				return nil, docErrorf("%s: publish_date %q 应为日期, 如 2025-06-01", where, s)
			}
		}
		e.PublishDate = t
	}
	items := make([]catalog.Item, 0, len(ej.Items))
	for _, it := range ej.Items {
		items = append(items, catalog.Item{
			ID: it.ID, Name: strings.TrimSpace(it.Name), Field: strings.TrimSpace(it.Field), Type: schemas.DataType(lookupID(schemas.DataTypes, it.Type)),
			Length: it.Length, Required: it.Required, IsKey: it.IsKey, Grade: schemas.Grade(lookupID(schemas.Grades, it.Grade)),
			PIType: lookupID(schemas.PITypes, it.PIType), CodeList: strings.TrimSpace(it.CodeList), Description: it.Description,
			Min: strings.TrimSpace(it.Min), Max: strings.TrimSpace(it.Max),
		})
	}
	e.Items = catalog.ItemsOf(items...)
	return e, nil
}

// writeModeID is the write mode given by id or Chinese name; anything else is passed on for the
// catalogue's validation to name.
func writeModeID(v string) string {
	v = strings.TrimSpace(v)
	for id, name := range catalog.WriteModeNames {
		if v == name {
			return id
		}
	}
	return v
}

// trimmed is ss with each string trimmed; nil for none.
func trimmed(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, strings.TrimSpace(s))
	}
	return out
}
