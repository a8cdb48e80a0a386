package ingest

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// Connect is a steward's setting of an entry's connection.
type Connect struct {
	Entry  string
	Kind   string
	Config map[string]string
	// A secret left empty or sent back as [redacted] (as a door shows it) keeps the stored one:
	// editing a connection never needs its secrets retyped, nor shown.
	Schedule string // cron expression; "" follows the entry's update cycle
	Enabled  bool
	Base     uint64 // the revision changed; 0 to create
}

// Connect checks c against its connector's spec and its schedule, then stores it. Whether p may
// configure the entry is the catalogue's access decision (Access.Configure).
func (s *Service) Connect(ctx context.Context, p *catalog.Principal, c Connect) error {
	conn, ok := ConnectorOf(c.Kind)
	if !ok {
		return schemas.Userf(ErrInvalidConnector, "连接器类型“%s”不存在（可用：%s）", schemas.Clip(c.Kind, 32), strings.Join(kinds(), "、"))
	}
	cfg := maps.Clone(c.Config)
	if cfg == nil {
		cfg = map[string]string{}
	}
	var stored *catalog.Connection
	if c.Base != 0 {
		if old, err := s.cat.View().ConnectionFor(p, c.Entry); err == nil && old.Kind == c.Kind {
			stored = old
		}
	}
	for _, f := range conn.Spec.Fields {
		if f.Type != TypeSecret {
			continue
		}
		if v := strings.TrimSpace(cfg[f.Key]); v == "" || v == redacted("x") {
			delete(cfg, f.Key)
			if stored != nil && stored.Config[f.Key] != "" {
				cfg[f.Key] = stored.Config[f.Key]
			}
		}
	}
	if _, err := conn.Spec.Resolve(cfg); err != nil {
		return err
	}
	if c.Schedule = strings.TrimSpace(c.Schedule); c.Schedule != "" {
		if _, err := ParseSchedule(c.Schedule); err != nil {
			return err
		}
	}
	err := s.cat.PutConnection(ctx, p, catalog.Connection{Entry: c.Entry, Kind: c.Kind, Config: cfg, Schedule: c.Schedule, Enabled: c.Enabled}, c.Base)
	if err != nil {
		return fmt.Errorf("connect %s: %w", c.Entry, err)
	}
	return nil
}

// Connection returns entry's connection for p as a door shows it: its secrets redacted.
func (s *Service) Connection(p *catalog.Principal, entry string) (*catalog.Connection, error) {
	c, err := s.cat.View().ConnectionFor(p, entry)
	if err != nil {
		return nil, err
	}
	c.Config = Redacted(c.Kind, c.Config)
	return c, nil
}

func kinds() []string {
	var out []string
	for _, c := range Connectors() {
		out = append(out, c.Spec.Kind)
	}
	return out
}
