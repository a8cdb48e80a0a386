// Package dcat exports the openable part of the directory as DCAT-AP in JSON-LD, the form
// open-data portals harvest: a dcat:Catalog holding one dcat:Dataset per published, non-secret
// entry whose opening type is not 不予开放. Which entries a caller may see at all is decided
// before (catalog.View.Visible); this package only narrows them to what may be opened.
package dcat

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// notOpen is the opening type (schemas.OpenTypes) of entries never opened to the public.
const notOpen = "NOT_OPEN"

// Vocabularies the output names.
const (
	nsDCAT = "http://www.w3.org/ns/dcat#"
	nsDCT  = "http://purl.org/dc/terms/"
	nsFOAF = "http://xmlns.com/foaf/0.1/"
	nsXSD  = "http://www.w3.org/2001/XMLSchema#"
	nsSKOS = "http://www.w3.org/2004/02/skos/core#"
	nsRDFS = "http://www.w3.org/2000/01/rdf-schema#"
	// euFrequency is the EU frequency vocabulary; each update cycle names its member in the
	// eu_frequency column of schemas/codelists/update_cycles.csv.
	euFrequency = "http://publications.europa.eu/resource/authority/frequency/"
	euChinese   = "http://publications.europa.eu/resource/authority/language/ZHO"
)

var jsonldContext = map[string]string{
	"dcat": nsDCAT, "dct": nsDCT, "foaf": nsFOAF, "xsd": nsXSD, "skos": nsSKOS, "rdfs": nsRDFS,
}

// Openable reports whether an entry belongs in an open-data export: published, not 涉密, and not
// 不予开放.
func Openable(e *catalog.Entry) bool {
	return e.Status == catalog.StatusPublished && !e.Secret && e.OpenType != notOpen && e.OpenType != ""
}

// Write writes the openable entries among entries as one dcat:Catalog. baseURL (absolute, such as
// https://data.example.gov.cn) roots the identifiers of the catalogue and its datasets.
func Write(w io.Writer, entries []*catalog.Entry, baseURL string) error {
	base, err := url.Parse(baseURL)
	if err != nil || !base.IsAbs() || base.Host == "" {
		return schemas.Userf(schemas.ErrInvalid, "DCAT 导出需要完整的服务地址（如 https://data.example.gov.cn），而不是 %s", schemas.Quote(baseURL))
	}
	root := strings.TrimSuffix(base.String(), "/")
	doc := catalogNode{
		Context:  jsonldContext,
		ID:       root + "/api/v1/directory.jsonld",
		Type:     "dcat:Catalog",
		Title:    zh("生态环境数据资源目录（开放数据）"),
		Language: ref(euChinese),
		Datasets: []datasetNode{},
	}
	var latest time.Time
	for _, e := range entries {
		if !Openable(e) {
			continue
		}
		doc.Datasets = append(doc.Datasets, dataset(root, e))
		if e.UpdatedAt.After(latest) {
			latest = e.UpdatedAt
		}
	}
	if !latest.IsZero() {
		doc.Modified = dateTime(latest)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write dcat: %w", err)
	}
	return nil
}

// DatasetID is the identifier of an entry's dataset under root.
func DatasetID(root, code string) string {
	return strings.TrimSuffix(root, "/") + "/api/v1/entries/" + url.PathEscape(code)
}

func dataset(root string, e *catalog.Entry) datasetNode {
	d := datasetNode{
		ID:          DatasetID(root, e.ResourceCode),
		Type:        "dcat:Dataset",
		Identifier:  e.ResourceCode,
		Title:       zh(e.Name),
		Description: zh(e.Abstract),
		Publisher: agentNode{Type: "foaf:Agent", Name: zh(e.ProviderName), Identifier: e.ProviderCode,
			Scheme: zh("统一社会信用代码")},
		Theme:    concept(root, "categories", e.CategoryCode, schemas.Categories.NameOf(e.CategoryCode)),
		Language: ref(euChinese),
		Keywords: keywords(e),
		Spatial: &locationNode{Type: "dct:Location", Identifier: e.District,
			Label: zh(schemas.Districts.NameOf(e.District))},
		Distributions: []distributionNode{{
			Type:      "dcat:Distribution",
			Title:     zh(e.Name + "（" + schemas.FormatTypes.NameOf(e.FormatType) + "）"),
			Format:    concept(root, "format_types", e.FormatType, schemas.FormatTypes.NameOf(e.FormatType)),
			AccessURL: ref(root + "/graphql"),
		}},
		AccessRights: rightsNode{Type: "dct:RightsStatement", Identifier: e.OpenType,
			Label: zh(schemas.OpenTypes.NameOf(e.OpenType))},
		ConformsTo: standards,
	}
	for _, dom := range e.Domains {
		d.Subjects = append(d.Subjects, concept(root, "domains", dom, schemas.Domains.NameOf(dom)))
	}
	if c, ok := schemas.UpdateCycles.Lookup(string(e.UpdateCycle)); ok && c.Extra["eu_frequency"] != "" {
		d.Periodicity = ref(euFrequency + c.Extra["eu_frequency"])
	}
	if e.OpenCondition != "" {
		cond := zh(e.OpenCondition)
		d.AccessRights.Description = &cond
	}
	if !e.PublishDate.IsZero() {
		d.Issued = &typed{Value: e.PublishDate.In(bureauZone).Format("2006-01-02"), Type: "xsd:date"}
	}
	if !e.UpdatedAt.IsZero() {
		d.Modified = dateTime(e.UpdatedAt)
	}
	return d
}

// keywords are the entry's governance domains, business items and scenes, each once.
func keywords(e *catalog.Entry) []langString {
	var words []string
	for _, dom := range e.Domains {
		words = append(words, schemas.Domains.NameOf(dom))
	}
	words = append(words, e.BusinessItems...)
	words = append(words, e.Scenes...)
	var out []langString
	for i, w := range words {
		if w != "" && !slices.Contains(words[:i], w) {
			out = append(out, zh(w))
		}
	}
	return out
}

// standards the metadata of every dataset follows.
var standards = []standardNode{
	{Type: "dct:Standard", Title: zh("政务信息资源目录编制指南（试行）")},
	{Type: "dct:Standard", Title: zh("GB/T 21063.3 政务信息资源目录体系 第3部分：核心元数据")},
	{Type: "dct:Standard", Title: zh("HJ 417-2024 生态环境信息分类与代码")},
}

// bureauZone is the zone a publish date is the bureau's day in.
var bureauZone = time.FixedZone("CST", 8*3600)

func dateTime(t time.Time) *typed {
	return &typed{Value: t.UTC().Format(time.RFC3339), Type: "xsd:dateTime"}
}
