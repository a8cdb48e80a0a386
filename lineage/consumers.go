package lineage

import (
	"strings"
	"time"
)

// Consumption: which scene or principal read an entry, and which of its items, comes from the
// query audit (audit.Log.Consumers), which lineage does not import: the door that asks for
// lineage passes a ConsumersFunc when its caller may read the audit (catalog.ActReadAudit), and
// none otherwise.

// Consumer is one reader of an entry over a recent period.
type Consumer struct {
	Principal, Role, Scene string
	Requests               int
	Last                   time.Time
	Items                  []string // "table.field"
}

// ConsumersFunc returns the recent readers of an entry (resource code).
type ConsumersFunc func(code string) []Consumer

// KindConsumer is the node of a scene account or principal that read the entry.
const KindConsumer NodeKind = "consumer"

// EdgeConsumed is an entry's edge to a consumer: read through the query layer.
const EdgeConsumed = "consumed"

// consumerID names a consumer's node: its scene account when it has one, else its principal.
func consumerID(c Consumer) (id, name string) {
	if c.Scene != "" {
		return "consumer:scene:" + c.Scene, c.Scene
	}
	return "consumer:principal:" + c.Principal, c.Principal
}

// consumers adds the readers of entry code downstream of at; field, when set (column level),
// keeps only those that read that item of table.
func (w *tracer) consumers(code, table, field string, at int32, depth int) {
	if w.o.Consumers == nil {
		return
	}
	for _, c := range w.o.Consumers(code) {
		if field != "" && !readsItem(c.Items, table, field) {
			continue
		}
		id, name := consumerID(c)
		i, _ := w.add(Node{ID: id, Kind: KindConsumer, Name: name, Depth: depth + 1})
		w.edge(at, i, EdgeConsumed, false)
	}
}

func readsItem(items []string, table, field string) bool {
	for _, it := range items {
		if t, f, ok := strings.Cut(it, "."); ok && t == table && f == field {
			return true
		}
	}
	return false
}
