package api

import (
	"encoding/json"
	"fmt"

	"github.com/cqeco/ecolake/catalog"
)

// EncodeEntry writes an entry as the directory document's entry object (directory.go), item ids
// included, so that a steward can change the file and send it back as an edit: decoding it gives
// the same entry, and an edit from it changes nothing until the file is changed. Status and
// publish date are left out: the workflow owns them.
func EncodeEntry(e *catalog.Entry) ([]byte, error) {
	ej := entryJSON{
		ResourceCode: e.ResourceCode, Name: e.Name, Table: e.Table, CategoryCode: e.CategoryCode,
		ProviderName: e.ProviderName, ProviderCode: e.ProviderCode, Abstract: e.Abstract, FormatType: e.FormatType,
		ShareType: e.ShareType, ShareCondition: e.ShareCondition, ShareMode: e.ShareMode, OpenType: e.OpenType,
		OpenCondition: e.OpenCondition, SharingBasis: e.SharingBasis, UpdateCycle: string(e.UpdateCycle),
		RelatedCodes: nonNil(e.RelatedCodes), Department: e.Department, District: e.District, SourceKind: e.SourceKind,
		Domains: nonNil(e.Domains), BusinessItems: nonNil(e.BusinessItems), Scenes: nonNil(e.Scenes),
		Secret: e.Secret, Exempt: e.Exempt, ExemptReason: e.ExemptReason, GradeOverride: string(e.GradeOverride),
		Items: []itemJSON{}, Rules: e.Rules, WriteMode: e.WriteMode, MaxRejectedPercent: e.MaxRejectedPercent,
		Partitions: e.Partitions, RetainSnapshots: e.RetainSnapshots, RetainDays: e.RetainDays,
	}
	for _, it := range e.Items.All() {
		ej.Items = append(ej.Items, itemJSON{
			ID: it.ID, Name: it.Name, Field: it.Field, Type: string(it.Type), Length: it.Length, Required: it.Required,
			IsKey: it.IsKey, Grade: string(it.Grade), PIType: it.PIType, CodeList: it.CodeList, Description: it.Description,
			Min: it.Min, Max: it.Max,
		})
	}
	b, err := json.MarshalIndent(ej, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode entry %s: %w", e.ResourceCode, err)
	}
	return append(b, '\n'), nil
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
