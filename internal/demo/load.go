package demo

import (
	"bytes"
	"context"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

//go:embed seed/*.csv
var seedFS embed.FS

// Principal tokens of the demo. They exist only when the service runs with --demo, and README lists
// them so that a newcomer can query straight away.
var Principals = []struct {
	catalog.Principal
	Token string
}{
	{catalog.Principal{ID: "steward", Name: "数据管理员(演示)", Role: catalog.RoleSteward, Clearance: schemas.Core, Department: "DIV_AIR"}, "demo-steward"},
	{catalog.Principal{ID: "reviewer", Name: "目录审核员(演示)", Role: catalog.RoleReviewer, Clearance: schemas.Core, Department: "DIV_AIR"}, "demo-reviewer"},
	{catalog.Principal{ID: "air-app", Name: "巴渝治气应用(演示)", Role: catalog.RoleScene, Clearance: schemas.General3, Department: "DIV_AIR"}, "demo-air-app"},
	{catalog.Principal{ID: "public-app", Name: "公共查询应用(演示)", Role: catalog.RoleScene, Clearance: schemas.General1}, "demo-public"},
	{catalog.Principal{ID: "manager", Name: "局领导驾驶舱(演示)", Role: catalog.RoleManager, Clearance: schemas.General2}, "demo-manager"},
	{catalog.Principal{ID: "wanzhou", Name: "万州区生态环境局(演示)", Role: catalog.RoleDistrict, Clearance: schemas.General2, Districts: []string{"500101"}}, "demo-wanzhou"},
}

// Disable switches the demo principals off on a catalogue that once ran with --demo, so that their
// published tokens open nothing when the service runs without it. A principal is the demo's only
// when it carries the demo token's hash, which nothing but Load ever sets: a real account that
// merely shares an id with the demo (a "manager", say) is left alone.
func Disable(ctx context.Context, cat *catalog.Store) error {
	v := cat.View()
	for _, p := range Principals {
		pr, err := v.Principal(p.ID)
		if errors.Is(err, catalog.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if !ownedByDemo(pr, p.Token) || pr.Disabled {
			continue
		}
		pr.Disabled = true
		if err := cat.PutPrincipal(ctx, *pr); err != nil {
			return fmt.Errorf("disable demo principal %s: %w", pr.ID, err)
		}
	}
	return nil
}

// ownedByDemo reports whether pr is the demo principal whose fixed token is token.
func ownedByDemo(pr *catalog.Principal, token string) bool {
	return pr.TokenHash != "" && pr.TokenHash == catalog.HashToken(token)
}

// putPrincipals creates the demo principals whose ids are free and brings the demo's own ones up
// to date (re-enabled after a start without --demo, or written with an old role by an earlier
// version). A real account holding a demo id is never touched: that demo token then opens nothing.
func putPrincipals(ctx context.Context, cat *catalog.Store, log *slog.Logger) error {
	v := cat.View()
	for _, p := range Principals {
		want := p.Principal
		want.TokenHash = catalog.HashToken(p.Token)
		cur, err := v.Principal(p.ID)
		switch {
		case errors.Is(err, catalog.ErrNotFound):
		case err != nil:
			return err
		case !ownedByDemo(cur, p.Token):
			log.Warn("demo principal not created: a real account holds its id; its demo token opens nothing",
				"principal", p.ID)
			continue
		case !cur.Disabled && samePrincipal(cur, &want):
			continue
		}
		if err := cat.PutPrincipal(ctx, want); err != nil {
			return fmt.Errorf("principal %s: %w", want.ID, err)
		}
	}
	return nil
}

// samePrincipal compares what the demo sets, not the catalogue's own times.
func samePrincipal(a, b *catalog.Principal) bool {
	return a.Name == b.Name && a.Role == b.Role && a.Clearance == b.Clearance &&
		a.Department == b.Department && slices.Equal(a.Districts, b.Districts)
}

// Load puts the demo directory into the catalogue and loads its data through the real ingest
// path, back-dating some loads so that the collection figure has stale entries. It only adds what
// is missing, so a start interrupted half-way is completed by the next one, and a catalogue that
// already holds the demo gets no new commands. Demo principals go in only where putPrincipals
// finds their ids free or already the demo's.
func Load(ctx context.Context, cat *catalog.Store, bucket lake.Bucket, now func() time.Time, log *slog.Logger) error {
	if err := putPrincipals(ctx, cat, log); err != nil {
		return err
	}
	v := cat.View()
	for _, d := range departments {
		if _, err := v.Department(d.Code); err == nil {
			continue
		}
		if err := cat.PutDepartment(ctx, d); err != nil {
			return fmt.Errorf("department %s: %w", d.Code, err)
		}
	}
	if err := putLinks(ctx, cat); err != nil {
		return err
	}
	t0, loaded := now(), 0
	for i, s := range specs() {
		if err := putSpec(ctx, cat, s); err != nil {
			return err
		}
		if e, err := cat.View().Entry(s.ResourceCode); err != nil || e.CurrentSnapshot != "" {
			if err != nil {
				return err
			}
			continue // loaded on an earlier start
		}
		if err := loadData(ctx, cat, bucket, s, uint64(i+1), t0, log); err != nil {
			return fmt.Errorf("load %s: %w", s.ResourceCode, err)
		}
		loaded++
	}
	if loaded > 0 {
		log.Info("demo directory loaded", "entries", len(specs()), "loaded", loaded)
	}
	return nil
}

// putSpec registers and publishes the entry of s unless that is already done.
func putSpec(ctx context.Context, cat *catalog.Store, s spec) error {
	cur, err := cat.View().Entry(s.ResourceCode)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		e := s.Entry
		if err := cat.PutEntry(ctx, &e); err != nil {
			return fmt.Errorf("entry %s: %w", e.ResourceCode, err)
		}
	case err != nil:
		return err
	case s.draft || cur.Status == catalog.StatusPublished:
		return nil
	}
	if s.draft {
		return nil
	}
	if err := cat.SetEntryStatus(ctx, s.ResourceCode, catalog.StatusPublished); err != nil {
		return fmt.Errorf("publish %s: %w", s.ResourceCode, err)
	}
	return nil
}

// loadData submits the entry's demo data as a CSV file at the time its load plan says.
func loadData(ctx context.Context, cat *catalog.Store, bucket lake.Bucket, s spec, seed uint64, now time.Time, log *slog.Logger) error {
	if s.load == never {
		return nil
	}
	at := now.Add(-20 * time.Minute)
	if s.load == stale || s.load == failed {
		at = now.Add(-s.UpdateCycle.Period() - s.UpdateCycle.Grace() - 72*time.Hour)
		if s.UpdateCycle == schemas.Irregular {
			at = now.AddDate(0, -8, 0)
		}
	}
	body, err := s.csv(newGen(seed, at))
	if err != nil {
		return err
	}
	svc := ingest.New(cat, bucket, ingest.DefaultConfig(), log).WithClock(func() time.Time { return at })
	res, err := svc.Submit(ctx, ingest.Submission{Entry: s.ResourceCode, Filename: s.Table + ".csv", Body: bytes.NewReader(body),
		Principal: catalog.Operator()})
	if err != nil {
		return err
	}
	if res.Snapshot == nil {
		return fmt.Errorf("demo data of %s was not committed: %s", s.ResourceCode, res.Summary())
	}
	if s.load == failed {
		// A later submission with a wrong header: the run fails and the figure says so.
		bad := []byte("断面,水质\n某断面,II\n")
		_, err := ingest.New(cat, bucket, ingest.DefaultConfig(), log).WithClock(func() time.Time { return now.Add(-time.Hour) }).
			Submit(ctx, ingest.Submission{Entry: s.ResourceCode, Filename: "区县报送-格式错误.csv", Body: bytes.NewReader(bad),
				Principal: catalog.Operator()})
		if !errors.Is(err, ingest.ErrBadHeader) {
			return fmt.Errorf("demo failed submission of %s: want a header error, got %v", s.ResourceCode, err)
		}
	}
	return nil
}

// csv renders the entry's demo rows with the items' Chinese names as header. Stale district
// submissions carry two deliberately wrong rows, so the demo shows rejected rows with reasons.
func (s spec) csv(g *gen) ([]byte, error) {
	if s.file != "" {
		return seedFS.ReadFile(s.file)
	}
	var rows [][]string
	if s.rows != nil {
		rows = s.rows(g)
	} else {
		rows = genericRows(g, s.Items.Slice(), s.nrows)
	}
	if s.load == stale && s.SourceKind == "DISTRICT_SUBMISSION" && len(rows) > 2 {
		rows[1] = append([]string(nil), rows[1]...)
		rows[1][0] = "" // a missing key
		rows[2] = append([]string(nil), rows[2]...)
		rows[2][1] = "火星区" // not a district of the code list
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	head := make([]string, s.Items.Len())
	for i, it := range s.Items.All() {
		head[i] = it.Name
	}
	if err := w.Write(head); err != nil {
		return nil, err
	}
	if err := w.WriteAll(rows); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
