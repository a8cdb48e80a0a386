package catalog

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Connection is how an entry's data is pulled without a person handing in a file: a connector
// kind (a vertical system's API, a business database), its configuration, and its schedule. The
// configuration is checked against the connector's spec by the ingest door before it is stored;
// the catalogue keeps it, secrets included, and never hands it to a door unredacted except to
// the pull itself.
//
// The pull state is derived from the runs in the same transactions that record them, so that it
// can never disagree with them: the watermark moves only with a committed snapshot of a pull,
// the last attempt with the start of one, the failure count with its end.
type Connection struct {
	Entry  string            // Entry.ResourceCode
	Kind   string            // connector kind: "rest", "postgres", …
	Config map[string]string // by the connector's spec; secret values included
	// Schedule is a cron expression (five fields, Beijing time); "" follows the entry's update
	// cycle (实时 polls every few minutes, 每日 … 每年 once per cycle).
	Schedule string
	Enabled  bool

	Watermark   string    // where the next pull reads from; "" from the start
	LastAttempt time.Time // start of the newest pull, zero for none
	LastSuccess time.Time // end of the newest pull that committed or found nothing new
	Failures    int       // pulls failed in a row since the last success

	Revision  uint64
	UpdatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RunKindPull is the Run.Kind of pulls made through an entry's connection.
const RunKindPull = "connector_pull"

// Bounds of a stored connection.
const (
	maxConnectionKeys  = 64
	maxConnectionValue = 8 << 10
	maxSchedule        = 128
)

const (
	tableConnections          = "connections"
	cmdPutConnection  cmdType = "put_connection"
	cmdDropConnection cmdType = "drop_connection"
	cmdNotePull       cmdType = "note_pull"
	ckptConnection    cmdType = "connection"
)

func connectionsTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name:    tableConnections,
		Indexes: map[string]*memdb.IndexSchema{indexID: idIndex("Entry")},
	}
}

type putConnectionCmd struct {
	Actor      Actor      `json:"actor"`
	Connection Connection `json:"connection"`
	Base       uint64     `json:"base"`
}

type dropConnectionCmd struct {
	Actor Actor  `json:"actor"`
	Entry string `json:"entry"`
	Base  uint64 `json:"base"`
}

type notePullCmd struct {
	Entry string    `json:"entry"`
	At    time.Time `json:"at"`
}

func init() {
	appliers[cmdPutConnection] = applier{cmdVersion1, decodeApply(applyPutConnection)}
	appliers[cmdDropConnection] = applier{cmdVersion1, decodeApply(applyDropConnection)}
	appliers[cmdNotePull] = applier{cmdVersion1, decodeApply(applyNotePull)}
}

// NotePull records a pull of entry's connection, started at at, that found nothing newer than
// its watermark. Such a pull leaves no run: a 实时 entry polled every few minutes would otherwise
// add hundreds of runs a day that say nothing, to a table kept for good. The connection's
// attempt and success move on (the scheduler reckons its next pull from them), its failures are
// cleared, its watermark stays. An entry without a connection is left alone.
func (s *Store) NotePull(ctx context.Context, entry string, at time.Time) error {
	return s.submit(ctx, cmdNotePull, notePullCmd{Entry: entry, At: at.UTC()}, func(txn *memdb.Txn) error {
		if _, err := entryTxn(txn, entry); err != nil {
			return err
		}
		return nil
	})
}

func applyNotePull(txn *memdb.Txn, rec *record, cmd *notePullCmd) error {
	old := lookup[Connection](txn, tableConnections, cmd.Entry)
	if old == nil {
		return nil
	}
	c := *old
	at := cmd.At
	if at.IsZero() {
		at = rec.At.UTC()
	}
	c.LastAttempt, c.LastSuccess, c.Failures = at, at, 0
	if err := txn.Insert(tableConnections, &c); err != nil {
		return fmt.Errorf("note pull of %s: %w", cmd.Entry, err)
	}
	return nil
}

// PutConnection sets entry c.Entry's connection on behalf of p, whom the access decision must
// let configure the entry (Access.Configure). base is the revision the change was made on (0 to
// create one). The pull state (watermark, attempts) is kept from the stored connection: a
// steward changes what is pulled and when, never where the last pull ended — unless the
// connector kind changes, whose watermarks mean something else. To read from the start again,
// drop the connection and create it anew.
func (s *Store) PutConnection(ctx context.Context, p *Principal, c Connection, base uint64) error {
	c.Config = maps.Clone(c.Config)
	return s.submit(ctx, cmdPutConnection, putConnectionCmd{Actor: actorOf(p), Connection: c, Base: base}, func(txn *memdb.Txn) error {
		if err := mayConfigure(txn, p, c.Entry); err != nil {
			return err
		}
		old := lookup[Connection](txn, tableConnections, c.Entry)
		if err := checkConnectionBase(c.Entry, old, base); err != nil {
			return err
		}
		pr := newProblems("目录 %s 的归集连接", c.Entry)
		pr.required("kind", c.Kind)
		if len(c.Config) > maxConnectionKeys {
			pr.add("config", "配置项共 %d 个，超过上限 %d 个", len(c.Config), maxConnectionKeys)
		}
		for k, v := range c.Config {
			if len(k) > 64 || len(v) > maxConnectionValue {
				pr.add("config", "配置项%s过长", schemas.Quote(schemas.Clip(k, 64)))
			}
		}
		if len(c.Schedule) > maxSchedule {
			pr.add("schedule", "调度表达式过长（上限 %d 字节）", maxSchedule)
		}
		return pr.err()
	})
}

// DropConnection removes entry's connection; its runs and data stay.
func (s *Store) DropConnection(ctx context.Context, p *Principal, entry string, base uint64) error {
	return s.submit(ctx, cmdDropConnection, dropConnectionCmd{Actor: actorOf(p), Entry: entry, Base: base}, func(txn *memdb.Txn) error {
		if err := mayConfigure(txn, p, entry); err != nil {
			return err
		}
		old := lookup[Connection](txn, tableConnections, entry)
		if old == nil {
			return schemas.Userf(ErrNotFound, "目录 %s 没有配置归集连接", entry)
		}
		return checkConnectionBase(entry, old, base)
	})
}

// mayConfigure asks the access decision whether p may configure entry's connection; an entry
// that does not exist for p is not found.
func mayConfigure(txn *memdb.Txn, p *Principal, entry string) error {
	e, err := entryTxn(txn, entry)
	if err != nil || !exists(p, e) {
		return entryNotFound(entry)
	}
	if !decideRole(p, e).Configure {
		return schemas.Userf(schemas.ErrForbidden, "无权配置目录 %s（%s）的归集连接：只有系统管理员与本处室的数据管理员可以", e.ResourceCode, e.Name)
	}
	return nil
}

func checkConnectionBase(entry string, old *Connection, base uint64) error {
	switch {
	case old == nil && base != 0:
		return schemas.Userf(ErrConflict, "目录 %s 没有归集连接（修改基于的版本 %d 已不存在）", entry, base)
	case old != nil && base != old.Revision:
		return schemas.Userf(ErrConflict, "目录 %s 的归集连接已被 %s 修改（当前版本 %d，修改基于版本 %d），请刷新后重试",
			entry, old.UpdatedBy, old.Revision, base)
	}
	return nil
}

func applyPutConnection(txn *memdb.Txn, rec *record, cmd *putConnectionCmd) error {
	c := cmd.Connection
	at := rec.At.UTC()
	c.CreatedAt = at
	c.Watermark, c.LastAttempt, c.LastSuccess, c.Failures = "", time.Time{}, time.Time{}, 0
	if old := lookup[Connection](txn, tableConnections, c.Entry); old != nil {
		c.CreatedAt = old.CreatedAt
		c.LastAttempt, c.LastSuccess, c.Failures = old.LastAttempt, old.LastSuccess, old.Failures
		if old.Kind == c.Kind {
			c.Watermark = old.Watermark // another kind of source writes its watermarks otherwise
		}
	}
	c.UpdatedAt, c.Revision, c.UpdatedBy = at, rec.Index, cmd.Actor.Name
	if err := txn.Insert(tableConnections, &c); err != nil {
		return fmt.Errorf("insert connection of %s: %w", c.Entry, err)
	}
	return nil
}

func applyDropConnection(txn *memdb.Txn, _ *record, cmd *dropConnectionCmd) error {
	if _, err := txn.DeleteAll(tableConnections, indexID, cmd.Entry); err != nil {
		return fmt.Errorf("drop connection of %s: %w", cmd.Entry, err)
	}
	return nil
}

// notePull keeps the pull state of r's entry's connection as r starts or ends; r is stored.
// Runs of other kinds, and entries without a connection, are left alone.
func notePull(txn *memdb.Txn, r *Run) error {
	if r.Kind != RunKindPull {
		return nil
	}
	old := lookup[Connection](txn, tableConnections, r.Entry)
	if old == nil {
		return nil
	}
	c := *old
	switch r.Status {
	case RunRunning:
		c.LastAttempt = r.StartedAt
	case RunFailed:
		c.Failures++
	default: // committed, or nothing new
		c.Failures = 0
		c.LastSuccess = r.FinishedAt
		if r.Watermark != "" {
			c.Watermark = r.Watermark
		}
	}
	if err := txn.Insert(tableConnections, &c); err != nil {
		return fmt.Errorf("note pull of %s: %w", r.Entry, err)
	}
	return nil
}

// ConnectionFor returns entry's connection for p, whom the access decision must let configure
// the entry: the one read of a connection for a door, secrets included (the door redacts them).
func (v *View) ConnectionFor(p *Principal, entry string) (*Connection, error) {
	if err := mayConfigure(v.txn, p, entry); err != nil {
		return nil, err
	}
	c := lookup[Connection](v.txn, tableConnections, entry)
	if c == nil {
		return nil, schemas.Userf(ErrNotFound, "目录 %s 没有配置归集连接", entry)
	}
	out := *c
	out.Config = maps.Clone(c.Config)
	return &out, nil
}

// Connections lists every connection, by entry, for the scheduler (which acts as the system,
// not for a principal): its cost follows the number of connected entries, not the directory.
func (v *View) Connections() []*Connection {
	var out []*Connection
	each(v.txn, tableConnections, indexID, func(c *Connection) {
		cc := *c
		cc.Config = maps.Clone(c.Config)
		out = append(out, &cc)
	})
	return out
}
