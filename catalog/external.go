package catalog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-memdb"
)

// ExternalJob is a job of an outside tool (Airflow, Spark …) as its OpenLineage events told it:
// the datasets it reads and writes, each mapped onto a directory entry when its name is one's
// table or resource code, else kept as an external dataset. Lineage walks through it: an entry
// it writes has its inputs upstream, an entry it reads has its outputs downstream. The last
// event of a job replaces what an earlier one said, except for datasets it does not name.
type ExternalJob struct {
	Key       string // Namespace + "/" + Name
	Namespace string
	Name      string
	Inputs    []DatasetRef
	Outputs   []DatasetRef
	LastRun   string // the run id of the last event
	LastEvent string // its type (START, COMPLETE, FAIL …)
	At        time.Time
	Producer  string
	By        string // Principal.ID that posted it
	Revision  uint64
}

// DatasetRef is a dataset of an outside job: Entry is the resource code it maps onto, "" for an
// external one.
type DatasetRef struct {
	Namespace string
	Name      string
	Entry     string
}

// Bounds of what an outside tool may record.
const (
	MaxExternalDatasets = 200 // inputs and outputs of one job, each
	maxExternalText     = 512 // characters of a namespace, name, run id or producer
)

const (
	tableExternalJobs           = "external_jobs"
	indexExternalReads          = "reads"
	indexExternalWrites         = "writes"
	cmdPutExternalJob   cmdType = "put_external_job"
	ckptExternalJob     cmdType = "external_job"
)

// mappedEntries indexes a job under the entries of its inputs or its outputs.
type mappedEntries struct{ outputs bool }

func (x mappedEntries) FromObject(obj any) (bool, [][]byte, error) {
	j, ok := obj.(*ExternalJob)
	if !ok {
		return false, nil, fmt.Errorf("external job index: %T is not a job", obj)
	}
	refs := j.Inputs
	if x.outputs {
		refs = j.Outputs
	}
	var out [][]byte
	for _, r := range refs {
		if r.Entry != "" {
			out = append(out, []byte(r.Entry+"\x00"))
		}
	}
	return len(out) > 0, out, nil
}

func (mappedEntries) FromArgs(args ...any) ([]byte, error) {
	return derivedFromIndex{}.FromArgs(args...)
}

func externalJobsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{Name: tableExternalJobs, Indexes: map[string]*memdb.IndexSchema{
		indexID:             idIndex("Key"),
		indexExternalReads:  {Name: indexExternalReads, AllowMissing: true, Indexer: mappedEntries{}},
		indexExternalWrites: {Name: indexExternalWrites, AllowMissing: true, Indexer: mappedEntries{outputs: true}},
	}}
}

type putExternalJobCmd struct {
	Job ExternalJob `json:"job"`
}

func init() {
	appliers[cmdPutExternalJob] = applier{cmdVersion1, decodeApply(applyPutExternalJob)}
}

// PutExternalJob records what an outside tool's event says of job j, on behalf of p, who must
// be one who may edit the directory (the tool's account). A dataset is mapped onto the entry
// whose table or resource code is its name, if that entry exists for p; others stay external,
// so that the answer never tells which hidden entries exist. It returns the job as recorded.
func (s *Store) PutExternalJob(ctx context.Context, p *Principal, j ExternalJob) (*ExternalJob, error) {
	if !Allowed(p, ActEditDirectory) {
		return nil, errNoEdit
	}
	j.Key, j.By = j.Namespace+"/"+j.Name, p.ID
	v := s.View()
	mapRefs := func(refs []DatasetRef) {
		for i := range refs {
			refs[i].Entry = ""
			e, err := entryTxn(v.txn, refs[i].Name)
			if err != nil {
				e = entryByTable(v.txn, refs[i].Name)
			}
			if e != nil && exists(p, e) {
				refs[i].Entry = e.ResourceCode
			}
		}
	}
	mapRefs(j.Inputs)
	mapRefs(j.Outputs)
	err := s.submit(ctx, cmdPutExternalJob, putExternalJobCmd{Job: j}, func(txn *memdb.Txn) error {
		pr := newProblems("外部作业 %s", j.Key)
		for _, f := range []struct{ field, v string }{{"job.namespace", j.Namespace}, {"job.name", j.Name},
			{"run.runId", j.LastRun}, {"producer", j.Producer}} {
			if f.v == "" && f.field != "producer" {
				pr.add(f.field, "必填")
			} else if len([]rune(f.v)) > maxExternalText {
				pr.add(f.field, "超过 %d 个字符", maxExternalText)
			}
		}
		for _, refs := range [][]DatasetRef{j.Inputs, j.Outputs} {
			if len(refs) > MaxExternalDatasets {
				pr.add("datasets", "数据集 %d 个，超过上限 %d 个", len(refs), MaxExternalDatasets)
			}
			for _, r := range refs {
				if len([]rune(r.Namespace)) > maxExternalText || len([]rune(r.Name)) > maxExternalText {
					pr.add("datasets", "数据集名称超过 %d 个字符", maxExternalText)
				}
				if r.Entry != "" {
					if _, err := entryTxn(txn, r.Entry); err != nil {
						pr.add("datasets", "目录 %s 不存在", r.Entry)
					}
				}
			}
		}
		return pr.err()
	})
	if err != nil {
		return nil, err
	}
	return &j, nil
}

func applyPutExternalJob(txn *memdb.Txn, rec *record, cmd *putExternalJobCmd) error {
	j := cmd.Job
	j.At, j.Revision = rec.At.UTC(), rec.Index
	// An event that names no inputs (or no outputs), as START events often do, keeps those the
	// job's earlier events named.
	if old, err := first[ExternalJob](txn, tableExternalJobs, "external job", j.Key); err == nil {
		if len(j.Inputs) == 0 {
			j.Inputs = old.Inputs
		}
		if len(j.Outputs) == 0 {
			j.Outputs = old.Outputs
		}
	}
	if err := txn.Insert(tableExternalJobs, &j); err != nil {
		return fmt.Errorf("insert external job %s: %w", j.Key, err)
	}
	return nil
}

// HasExternalJobs reports whether any outside job is recorded: a traversal asks it once rather
// than looking up every entry it reaches in an empty table.
func (v *View) HasExternalJobs() bool {
	raw, err := v.txn.First(tableExternalJobs, indexID)
	return err == nil && raw != nil
}

// ExternalJobsOf lists the outside jobs that write entry code (writes) or read it, by key; they
// are the stored objects, read only.
func (v *View) ExternalJobsOf(code string, writes bool) []*ExternalJob {
	index := indexExternalReads
	if writes {
		index = indexExternalWrites
	}
	it, err := v.txn.Get(tableExternalJobs, index, code)
	if err != nil {
		return nil
	}
	var out []*ExternalJob
	for raw := it.Next(); raw != nil; raw = it.Next() {
		out = append(out, raw.(*ExternalJob))
	}
	slices.SortFunc(out, func(a, b *ExternalJob) int { return strings.Compare(a.Key, b.Key) })
	return out
}
