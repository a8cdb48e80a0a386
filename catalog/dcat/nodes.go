package dcat

import "net/url"

// The JSON-LD nodes of the export, in compact form under the context of dcat.go.

type catalogNode struct {
	Context  map[string]string `json:"@context"`
	ID       string            `json:"@id"`
	Type     string            `json:"@type"`
	Title    langString        `json:"dct:title"`
	Language *idRef            `json:"dct:language,omitempty"`
	Modified *typed            `json:"dct:modified,omitempty"`
	Datasets []datasetNode     `json:"dcat:dataset"`
}

type datasetNode struct {
	ID            string             `json:"@id"`
	Type          string             `json:"@type"`
	Identifier    string             `json:"dct:identifier"`
	Title         langString         `json:"dct:title"`
	Description   langString         `json:"dct:description"`
	Publisher     agentNode          `json:"dct:publisher"`
	Theme         conceptNode        `json:"dcat:theme"`
	Subjects      []conceptNode      `json:"dct:subject,omitempty"`
	Periodicity   *idRef             `json:"dct:accrualPeriodicity,omitempty"`
	Issued        *typed             `json:"dct:issued,omitempty"`
	Modified      *typed             `json:"dct:modified,omitempty"`
	Language      *idRef             `json:"dct:language,omitempty"`
	Keywords      []langString       `json:"dcat:keyword,omitempty"`
	Spatial       *locationNode      `json:"dct:spatial,omitempty"`
	Distributions []distributionNode `json:"dcat:distribution"`
	AccessRights  rightsNode         `json:"dct:accessRights"`
	ConformsTo    []standardNode     `json:"dct:conformsTo"`
}

// agentNode is the provider: its name and its 统一社会信用代码, with the scheme named.
type agentNode struct {
	Type       string     `json:"@type"`
	Name       langString `json:"foaf:name"`
	Identifier string     `json:"dct:identifier,omitempty"`
	Scheme     langString `json:"skos:note"`
}

// conceptNode is a code of one of the directory's code lists as a SKOS concept: notation, label
// and the list it belongs to.
type conceptNode struct {
	ID       string     `json:"@id"`
	Type     string     `json:"@type"`
	Notation string     `json:"skos:notation"`
	Label    langString `json:"skos:prefLabel"`
	Scheme   idRef      `json:"skos:inScheme"`
}

type locationNode struct {
	Type       string     `json:"@type"`
	Identifier string     `json:"dct:identifier"`
	Label      langString `json:"skos:prefLabel"`
}

type distributionNode struct {
	Type      string      `json:"@type"`
	Title     langString  `json:"dct:title"`
	Format    conceptNode `json:"dct:format"`
	AccessURL *idRef      `json:"dcat:accessURL"`
}

type rightsNode struct {
	Type        string      `json:"@type"`
	Identifier  string      `json:"dct:identifier"`
	Label       langString  `json:"rdfs:label"`
	Description *langString `json:"dct:description,omitempty"`
}

type standardNode struct {
	Type  string     `json:"@type"`
	Title langString `json:"dct:title"`
}

type langString struct {
	Value    string `json:"@value"`
	Language string `json:"@language"`
}

type typed struct {
	Value string `json:"@value"`
	Type  string `json:"@type"`
}

type idRef struct {
	ID string `json:"@id"`
}

func zh(s string) langString { return langString{Value: s, Language: "zh"} }

func ref(iri string) *idRef { return &idRef{ID: iri} }

// concept is code id of list (a schemas list name) as a concept under root.
func concept(root, list, id, label string) conceptNode {
	scheme := root + "/api/v1/codelists/" + list
	return conceptNode{ID: scheme + "/" + url.PathEscape(id), Type: "skos:Concept", Notation: id, Label: zh(label), Scheme: idRef{ID: scheme}}
}
