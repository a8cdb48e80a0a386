package catalog

import (
	"fmt"

	"github.com/hashicorp/go-memdb"
)

// Table names.
const (
	tableIndex       = "index"
	tableEntries     = "entries" // buckets of entries (entry_buckets.go)
	tableEntryMarks  = "entry_marks"
	tableDepartments = "departments"
	tableDistricts   = "districts"
	tableSnapshots   = "snapshots" // buckets of snapshots by id (loadstate.go)
	tableRuns        = "runs"      // buckets of runs by id (loadstate.go)
	tableRunning     = "running_runs"
	tablePrincipals  = "principals"
	tableItems       = "items"
)

// Index names.
const (
	indexID        = "id"
	indexEntry     = "entry"
	indexTokenHash = "token_hash"
	indexPIType    = "pi_type"
	indexStatus    = "status"
)

// Rows of the index table: the last applied journal index, and the metadata generation
// (View.Generation).
const (
	indexKeyJournal    = "journal"
	indexKeyGeneration = "generation"
)

// indexRow records the journal index inside memdb so that a read transaction sees the index that
// matches its data.
type indexRow struct {
	Key   string
	Value uint64
}

// schemaFactories lists one function per table; the schema is data, not code paths.
var schemaFactories = []func() *memdb.TableSchema{
	indexTableSchema,
	entriesTableSchema,
	entryMarksTableSchema,
	departmentsTableSchema,
	districtsTableSchema,
	snapshotsTableSchema,
	runsTableSchema,
	runningTableSchema,
	principalsTableSchema,
	tokensTableSchema,
	itemsTableSchema,
	changesTableSchema,
	historyTableSchema,
	sequencesTableSchema,
	gradingsTableSchema,
	businessItemsTableSchema,
	scenesTableSchema,
	connectionsTableSchema,
	loadStatesTableSchema,
	keySetsTableSchema,
	entryCountsTableSchema,
	feedTableSchema,
	figureCellsTableSchema,
	servedCellsTableSchema,
	grantsTableSchema,
	piProposalsTableSchema,
	regradeTableSchema,
	externalJobsTableSchema,
	figureDaysTableSchema,
	derivedTableSchema,
	purgeTableSchema,
	purgedTableSchema,
}

func dbSchema() *memdb.DBSchema {
	s := &memdb.DBSchema{Tables: map[string]*memdb.TableSchema{}}
	for _, f := range schemaFactories {
		t := f()
		if _, dup := s.Tables[t.Name]; dup {
			panic(fmt.Sprintf("catalog schema: duplicate table %s", t.Name))
		}
		s.Tables[t.Name] = t
	}
	return s
}

func idIndex(field string) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: indexID, Unique: true, Indexer: &memdb.StringFieldIndex{Field: field}}
}

func indexTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableIndex,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Key")},
	}
}

// entriesTableSchema holds the entries in buckets keyed by their first code (entry_buckets.go).
func entriesTableSchema() *memdb.TableSchema { return codeBucketsSchema(tableEntries) }

// entryMarksTableSchema indexes the entries listed by a rare value, and only those that have one
// (entryMarked). Each index costs a radix leaf and node per entry (about 500 bytes with their
// watch channels, 50 MB at a province's 100k entries) and, since memdb rewrites every index of an
// object on each insert, a path copy per write: the table name, department, district and grade
// are sets of codes in a table of their own, written only when they change (keysets.go), the
// order of changes is a tree of its own (feed.go), and the status index holds only the entries
// under way, not the published and retired bulk.
func entryMarksTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableEntryMarks,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: idIndex("ResourceCode"),
			indexStatus: valueIndex(indexStatus, func(e *Entry) string {
				if !statusIndexed(e.Status) {
					return ""
				}
				return e.Status
			}),
			// Links to business items and scenes (business.go, scene.go).
			indexScene:    {Name: indexScene, AllowMissing: true, Indexer: &memdb.StringSliceFieldIndex{Field: "Scenes"}},
			indexBusiness: {Name: indexBusiness, AllowMissing: true, Indexer: &memdb.StringSliceFieldIndex{Field: "BusinessItems"}},
		},
	}
}

// statusIndexed reports whether the status index holds the entries of a status: all but the
// published, the bulk of the directory, which a walk lists (directory.go).
func statusIndexed(status string) bool { return status != StatusPublished }

func valueIndex(name string, get func(*Entry) string) *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: name, AllowMissing: true, Indexer: entryValue{get}}
}

func departmentsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableDepartments,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Code")},
	}
}

func districtsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableDistricts,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Code")},
	}
}

// snapshotsTableSchema and runsTableSchema keep the snapshots and runs in buckets by id
// (loadstate.go): an entry's are listed in time order by its load state, not by an index over
// (entry, time).
func snapshotsTableSchema() *memdb.TableSchema { return codeBucketsSchema(tableSnapshots) }

func runsTableSchema() *memdb.TableSchema { return codeBucketsSchema(tableRuns) }

// runningTableSchema holds only the runs still running, by id: start-up asks for them, and a
// province's runs are mostly finished ones.
func runningTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableRunning,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("ID")},
	}
}

func principalsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tablePrincipals,
		Indexes: map[string]*memdb.IndexSchema{
			indexID: idIndex("ID"),
			// AllowMissing: most principals have no fixed token, only issued ones.
			indexTokenHash: {Name: indexTokenHash, Unique: true, AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "TokenHash"}},
		},
	}
}
