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
	// Columns, of an output, are its fields and the input fields each is made from, as the
	// event's columnLineage facet said.
	Columns []ExternalColumn
}

// ExternalColumn is a field of an outside job's output and the input fields it is made from.
type ExternalColumn struct {
	Field   string
	Sources []ExternalField
}

// ExternalField is a field of a dataset an outside job read: Entry is the resource code the
// dataset maps onto, "" for an external one; Via says how it reaches the output (a Via…).
type ExternalField struct {
	Namespace, Name, Entry, Field, Via string
}

// Bounds of what an outside tool may record.
const (
	MaxExternalDatasets       = 200    // inputs and outputs of one job, each
	MaxExternalColumnSources  = 10_000 // input fields named by one job's column lineage, in all
	MaxExternalJobsPerAccount = 1_000  // jobs one account (one tool) may record
	maxExternalText           = 512    // characters of a namespace, name, field, run id or producer
)

const (
	tableExternalJobs           = "external_jobs"
	indexExternalReads          = "reads"
	indexExternalWrites         = "writes"
	indexExternalBy             = "by"
	cmdPutExternalJob   cmdType = "put_external_job"
	ckptExternalJob     cmdType = "external_job"
)

// mappedEntries indexes a job under the entries of its inputs (those its column lineage names
// included) or its outputs.
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
	seen := map[string]bool{}
	add := func(code string) {
		if code != "" && !seen[code] {
			seen[code] = true
			out = append(out, []byte(code+"\x00"))
		}
	}
	for _, r := range refs {
		add(r.Entry)
	}
	if !x.outputs { // an entry whose fields the column lineage names is read too
		for _, o := range j.Outputs {
			for _, c := range o.Columns {
				for _, s := range c.Sources {
					add(s.Entry)
				}
			}
		}
	}
	return len(out) > 0, out, nil
}

// FromArgs takes one resource code, as FromObject indexes them.
func (mappedEntries) FromArgs(args ...any) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("mapped entries index: want one resource code, got %d arguments", len(args))
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("mapped entries index: %T is not a resource code", args[0])
	}
	return []byte(s + "\x00"), nil
}

func externalJobsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{Name: tableExternalJobs, Indexes: map[string]*memdb.IndexSchema{
		indexID:             idIndex("Key"),
		indexExternalReads:  {Name: indexExternalReads, AllowMissing: true, Indexer: mappedEntries{}},
		indexExternalWrites: {Name: indexExternalWrites, AllowMissing: true, Indexer: mappedEntries{outputs: true}},
		indexExternalBy:     {Name: indexExternalBy, AllowMissing: true, Indexer: &memdb.StringFieldIndex{Field: "By"}},
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
	mapped := map[string]string{}
	entryNamed := func(name string) string {
		if code, ok := mapped[name]; ok {
			return code
		}
		e, err := entryTxn(v.txn, name)
		if err != nil {
			e = entryByTable(v.txn, name)
		}
		code := ""
		if e != nil && exists(p, e) {
			code = e.ResourceCode
		}
		mapped[name] = code
		return code
	}
	for _, refs := range [][]DatasetRef{j.Inputs, j.Outputs} {
		for i := range refs {
			refs[i].Entry = entryNamed(refs[i].Name)
			for _, c := range refs[i].Columns {
				for k := range c.Sources {
					c.Sources[k].Entry = entryNamed(c.Sources[k].Name)
				}
			}
		}
	}
	err := s.submit(ctx, cmdPutExternalJob, putExternalJobCmd{Job: j}, func(txn *memdb.Txn) error {
		pr := newProblems("外部作业 %s", j.Key)
		checkJobsOf(txn, pr, p.ID, j.Key)
		checkExternalColumns(txn, pr, j.Outputs)
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

// checkJobsOf refuses a new job of account by once it has recorded MaxExternalJobsPerAccount: a
// tool that names a new job in every event cannot grow the catalogue without end. The count
// stops at the bound, so a check costs at most that many steps.
func checkJobsOf(txn *memdb.Txn, pr *problems, by, key string) {
	if by == "" { // the local operator: not a tool's account
		return
	}
	if raw, err := txn.First(tableExternalJobs, indexID, key); err == nil && raw != nil {
		return
	}
	it, err := txn.Get(tableExternalJobs, indexExternalBy, by)
	if err != nil {
		return
	}
	n := 0
	for raw := it.Next(); raw != nil && n < MaxExternalJobsPerAccount; raw = it.Next() {
		n++
	}
	if n >= MaxExternalJobsPerAccount {
		pr.add("job", "账号 %s 已记录 %d 个外部作业，达到上限，不能再新增", by, MaxExternalJobsPerAccount)
	}
}

// checkExternalColumns checks the column lineage of outputs: bounded, every field named, every
// way known.
func checkExternalColumns(txn *memdb.Txn, pr *problems, outputs []DatasetRef) {
	n := 0
	for _, o := range outputs {
		for _, c := range o.Columns {
			n += len(c.Sources)
			if c.Field == "" || len([]rune(c.Field)) > maxExternalText {
				pr.add("columnLineage", "数据集 %s 的字段名为空或超过 %d 个字符", o.Name, maxExternalText)
			}
			for _, f := range c.Sources {
				if f.Field == "" || len([]rune(f.Field)) > maxExternalText || len([]rune(f.Namespace)) > maxExternalText ||
					len([]rune(f.Name)) > maxExternalText {
					pr.add("columnLineage", "数据集 %s 字段 %s 的来源字段名为空或超过 %d 个字符", o.Name, c.Field, maxExternalText)
				}
				if _, ok := ViaNames[f.Via]; !ok {
					pr.add("columnLineage", "数据集 %s 字段 %s：未知的加工方式“%s”", o.Name, c.Field, f.Via)
				}
			}
		}
	}
	if n > MaxExternalColumnSources {
		pr.add("columnLineage", "字段血缘共 %d 个来源字段，超过上限 %d 个", n, MaxExternalColumnSources)
	}
}
