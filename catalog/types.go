// Package catalog is what is true: the data resource directory (entries, items, grades), the
// departments and districts, principals, snapshots and runs, and the figures that follow from
// them. State lives in go-memdb; every change is a typed command appended to a durable journal
// before it is applied. It is the only place that decides "this snapshot is now current".
package catalog

import (
	"slices"
	"time"

	"github.com/cqeco/ecolake/schemas"
)

// Department is a 处室/单位 of the bureau that is responsible for entries.
type Department struct {
	Code string // short stable id, e.g. "WATER_DIV"
	Name string // 水处
	Kind string // division (处室), centre (直属单位), corps (总队)
}

// Item is one 信息项 of an entry: a column of its lake table.
type Item struct {
	// ID is the item's field id, assigned by the catalogue when the item is created and kept for
	// the life of the entry (never reused, never renumbered by reordering or removal), so that
	// old snapshots and Parquet/Iceberg field ids stay attached to the right item. A caller
	// leaves it 0 for a new item, or passes an existing id to keep it across a rename.
	ID          int
	Name        string           // Chinese name, matched against submission headers (区县, PM2.5浓度目标)
	Field       string           // identifier used in the lake, SQL and GraphQL (schemas.CheckIdent)
	Type        schemas.DataType // logical type
	Length      int              // maximum length in characters for STRING, 0 = unbounded
	Required    bool
	IsKey       bool
	Grade       schemas.Grade
	PIType      string // schemas.PITypes id, "" when not personal information
	CodeList    string // schemas.List name the values must belong to ("districts"), "" for none
	Description string
	// Min and Max bound the item's values, inclusive, written as its type parses them
	// (schemas.DataType.Parse; INT, FLOAT, DATE and TIMESTAMP only); "" for no bound.
	Min string
	Max string
}

// Entry is one directory entry (信息资源) of the 一本账, with the metadata of 政务信息资源目录编制指南
// and the bureau's own attributes.
type Entry struct {
	ResourceCode   string // 信息资源代码, 分类码/顺序码, unique, e.g. "0101/000001"
	Table          string // lake table and GraphQL field name (schemas.CheckIdent)
	Name           string // 信息资源名称
	CategoryCode   string // schemas.Categories code
	ProviderName   string // 信息资源提供方
	ProviderCode   string // 统一社会信用代码 of the provider
	Abstract       string
	FormatType     string // schemas.FormatTypes id
	Items          ItemList
	ShareType      string // schemas.ShareTypes id
	ShareCondition string
	ShareMode      string // schemas.ShareModes id
	OpenType       string // schemas.OpenTypes id
	OpenCondition  string
	// SharingBasis is the legal basis (法律依据) for sharing or opening types other than those
	// the grade proposes (STANDARDS §4), and for 不予共享; "" when the defaults are kept.
	SharingBasis string
	UpdateCycle  schemas.UpdateCycle
	PublishDate  time.Time // zero until published
	Status       string    // schemas.EntryStatuses id
	RelatedCodes []string

	Department    string   // Department.Code of the 责任处室
	District      string   // schemas district code; schemas.CityCode for 市级
	SourceKind    string   // schemas.SourceKinds id
	Domains       []string // schemas.Domains ids (治水, 治气 …), at least one
	BusinessItems []string // 业务事项 the entry serves
	Scenes        []string // 应用场景 / 一件事 the entry serves
	Secret        bool     // 涉密: never collected into the lake
	Exempt        bool     // approved 不予归集 decision
	// marks holds entryCompacted: compactEntry has shared the strings of this entry's lists,
	// which may now be shared with other versions (revised) and are never written again. In the
	// flags' padding; Copy clears it.
	marks uint8
	// LastItemID is the highest item ID ever assigned in this entry; set by the catalogue. In the
	// flags' word: an Entry of at most 760 bytes is allocated in 768 (with the collector's
	// header), one of 768 in 896.
	LastItemID    int32
	ExemptReason  string
	GradeOverride schemas.Grade // manual upgrade of the table grade, "" for none
	// RetiredFields are the field identifiers of items removed (or renamed away) from the entry;
	// set by the catalogue. Their data stays in the lake's older files under that name, graded
	// as it was, so a retired name is never given to another item.
	RetiredFields []string

	// Rules are cross-field checks every loaded row must pass, each "<field> <op> <field or
	// constant>" (ParseRule), e.g. "sample_date <= report_date".
	Rules []string
	// WriteMode is how a load adds to the entry's rows: WriteModeAppend ("" too) or
	// WriteModeUpsert (a load replaces the parent's rows with the same key items).
	WriteMode string
	// MaxRejectedPercent is the share of a load's rows, 0 to 100, that may be invalid before the
	// load is refused whole; nil for the service's default.
	MaxRejectedPercent *float64
	// Partitions are the Hive-style partition columns of the entry's files (ParsePartition):
	// an item's field, or year(field) / month(field) of a DATE or TIMESTAMP item.
	Partitions []string
	// RetainSnapshots and RetainDays bound how long the entry's past snapshots are kept
	// (retention.go); nil follows the service's default, 0 sets no bound of that kind.
	RetainSnapshots *int
	RetainDays      *int
	// Transform, for a derived entry, is the SQL its data is made from (derived.go); nil for
	// an entry loaded from a source.
	Transform *Transform

	CurrentSnapshot string    // Snapshot.ID of the visible data, "" when never loaded
	CreatedAt       time.Time // set by the catalogue from the command time
	UpdatedAt       time.Time
	ModifyIndex     uint64 // journal index of the last change, data loads included
	// Revision is the journal index of the last change of the entry's metadata: the version an
	// edit names as its base (a data load changes ModifyIndex, not Revision).
	Revision uint64
	// Review is the workflow state of an entry not yet published (or being restored): who edited
	// it, who submitted it, the reviewer's last comment. Cleared on publishing.
	Review Review
}

// entryCompacted is the bit of Entry.marks that compactEntry sets.
const entryCompacted = 1

// Review is the workflow state of a version under way: an unpublished entry or a change request.
type Review struct {
	Editors     []string // Principal.IDs that changed this version ("" is the offline operator)
	UpdatedBy   string   // name of whoever changed it last
	SubmittedBy string   // Principal.ID that sent it for review, "" until sent
	Comment     string   // the reviewer's comment when it was sent back
}

// Grade is the table grade: the highest of its items' grades and of a manual override (就高从严).
// Asked of every entry of every list and figure: the items' grade is their shape's, found when
// the shape was made (ItemList), so that it costs a comparison of two ranks at most.
func (e *Entry) Grade() schemas.Grade {
	g := e.Items.grade()
	if e.GradeOverride != "" {
		g = schemas.MaxGrade(e.GradeOverride, g)
	}
	if g == "" {
		return schemas.General1
	}
	return g
}

// Copy returns a deep copy (items are immutable and shared); objects read from the store are
// never modified in place.
func (e *Entry) Copy() *Entry {
	c := *e
	c.marks = 0
	c.RelatedCodes = append([]string(nil), e.RelatedCodes...)
	c.Domains = append([]string(nil), e.Domains...)
	c.BusinessItems = append([]string(nil), e.BusinessItems...)
	c.Scenes = append([]string(nil), e.Scenes...)
	c.RetiredFields = append([]string(nil), e.RetiredFields...)
	c.Rules = append([]string(nil), e.Rules...)
	c.Partitions = append([]string(nil), e.Partitions...)
	if e.MaxRejectedPercent != nil {
		v := *e.MaxRejectedPercent
		c.MaxRejectedPercent = &v
	}
	c.RetainSnapshots, c.RetainDays = copyInt(e.RetainSnapshots), copyInt(e.RetainDays)
	c.Review.Editors = append([]string(nil), e.Review.Editors...)
	c.Transform = e.Transform.Copy()
	return &c
}

// revised returns a new version of e for a change of its workflow state alone (status, review,
// publish date): it shares e's items and lists, which a stored entry never changes, instead of
// copying them, and a caller may replace its Review but not change e's lists in place.
func (e *Entry) revised() *Entry {
	c := *e
	c.Review.Editors = slices.Clone(e.Review.Editors)
	return &c
}

// Item returns the item with the given field identifier.
func (e *Entry) Item(field string) (Item, bool) {
	it, _, ok := e.Items.Field(field)
	return it, ok
}

// Snapshot is one committed, immutable version of an entry's lake table.
type Snapshot struct {
	ID            string // never reused
	Entry         string // Entry.ResourceCode
	Parent        string // previous Snapshot.ID, "" for the first
	Run           string // Run.ID that produced it
	ManifestKey   string // lake key of the snapshot manifest
	Rows          int64
	Files         int
	Bytes         int64
	SchemaVersion int
	CommittedAt   time.Time
	// ExpiredAt is when retention expired the snapshot (retention.go): its files may be gone
	// and it is never read again. Zero while its data is kept.
	ExpiredAt time.Time
}

// Run statuses.
const (
	RunRunning   = "RUNNING"
	RunSucceeded = "SUCCEEDED" // committed, nothing rejected
	RunPartial   = "PARTIAL"   // committed valid rows, some rows rejected
	RunFailed    = "FAILED"    // nothing committed
	// RunUnchanged: the load found nothing to add (a pull with no new records, a file loaded
	// before) and committed nothing; unlike a failure it does not count against the entry.
	RunUnchanged = "UNCHANGED"
)

// Run is one attempt to load data into an entry (a district submission, a connector pull).
type Run struct {
	ID           string
	Entry        string // Entry.ResourceCode
	Kind         string // district_submission, …
	Source       string // file name or connector description
	District     string // submitting district code, "" when not a district submission
	Principal    string // Principal.ID that started it, "" for the system
	Status       string
	StartedAt    time.Time
	FinishedAt   time.Time
	RowsRead     int64
	RowsAccepted int64
	RowsRejected int64
	// Bytes is what the run read from its source: a file's bytes, a pull's record text; 0 when
	// unknown (runs recorded before it was kept).
	Bytes       int64
	RejectedKey string // lake key of the rejected-rows file, "" when none
	Snapshot    string // Snapshot.ID committed by the run, "" when none
	Error       string
	// Watermark, on a pull, is where the records it read end: committed with its snapshot (or
	// with a run that found nothing new), it is where the entry's next pull begins.
	Watermark string
	// Inputs, on the run of a derived entry, are the snapshots of its inputs the transform
	// read: committed with the snapshot they made, so that lineage as of any snapshot is exact.
	Inputs []RunInput
	// Transform, on the run of a derived entry, is the Transform.Fingerprint of the SQL it ran,
	// so that an edited SQL makes the entry stale although no input moved.
	Transform string
}

// RunInput is one snapshot a derived entry's run read.
type RunInput struct {
	Entry    string // resource code
	Snapshot string // Snapshot.ID
}
