package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lake"
	"github.com/cqeco/ecolake/schemas"
)

// A snapshot's profile (lake.Profile) tells the values of its rows: min and max, the most
// frequent codes. It is shown only to a principal who may read every row of the entry in clear:
// one limited to some rows or to aggregates would learn from it what the rows it may not read
// hold. Items it may not see are left out, and of masked items (personal information) only the
// counts are shown, never values.

// profileTop is how many of an item's most frequent codes are shown.
const profileTop = 10

// EntryProfile is the profile of one snapshot of an entry as a principal may see it.
type EntryProfile struct {
	Entry       string    `json:"entry"`
	Name        string    `json:"name"`
	Snapshot    string    `json:"snapshot"`
	CommittedAt time.Time `json:"committedAt"`
	Rows        int64     `json:"rows"`
	// Profiled is false for a snapshot committed before profiles were kept: Items is empty.
	Profiled bool          `json:"profiled"`
	Note     string        `json:"note,omitempty"` // Chinese
	Items    []ItemProfile `json:"items"`
}

// ItemProfile is one item's profile. Rows are the rows its figures are of: the snapshot's, and
// Stale more when a replacement within a scope or an upsert took rows out since (lake.Profile).
type ItemProfile struct {
	Field       string     `json:"field"`
	Name        string     `json:"name"`
	Type        string     `json:"type"`
	Rows        int64      `json:"rows"`
	Nulls       int64      `json:"nulls"`
	Distinct    uint64     `json:"distinct"` // an estimate (HyperLogLog)
	Min         string     `json:"min,omitempty"`
	Max         string     `json:"max,omitempty"`
	Top         []TopValue `json:"top,omitempty"`
	Masked      bool       `json:"masked,omitempty"` // personal information: counts only
	Stale       int64      `json:"stale,omitempty"`
	Approximate bool       `json:"approximate,omitempty"`
}

// TopValue is one of an item's most frequent codes with its Chinese name.
type TopValue struct {
	Value string `json:"value"`
	Name  string `json:"name,omitempty"`
	Count int64  `json:"count"`
}

// Chinese notes of a profile.
const (
	noteUnprofiled = "该数据快照生成于数据概况功能上线之前，没有数据概况；下次入库后将生成"
	noteStale      = "部分数据已被替换或按主键更新，概况仍计入被替换的行：空值数、不同值个数、最小值、最大值与常见值为近似（最小值、最大值仍涵盖现有数据）"
)

// ReadProfile returns the profile of the entry's current snapshot, or of its snapshot snapshotID,
// as principal p may see it, by the catalogue's decision on view v. An entry that does not exist
// for p, and a snapshot that is not the entry's, are not found.
func ReadProfile(ctx context.Context, v *catalog.View, b lake.BucketReader, p *catalog.Principal, code, snapshotID string,
	now time.Time) (*EntryProfile, error) {
	e, access, err := v.EntryFor(p, code, now)
	if err != nil {
		if errors.Is(err, schemas.ErrNotFound) {
			return nil, schemas.Userf(schemas.ErrNotFound, "未找到目录: %s", schemas.Clip(code, 64))
		}
		return nil, err
	}
	if !access.Read || access.Rows != nil || access.AggregatesOnly {
		return nil, schemas.Userf(schemas.ErrForbidden,
			"无权查看目录 %s 的数据概况：数据概况含字段取值（最小值、最大值、常见值），仅向可查询该目录全部明细数据的账号显示", e.ResourceCode)
	}
	if snapshotID == "" {
		snapshotID = e.CurrentSnapshot
	}
	if snapshotID == "" {
		return nil, schemas.Userf(schemas.ErrNotFound, "目录 %s 尚未入库数据，没有数据概况", e.ResourceCode)
	}
	snap, err := v.Snapshot(snapshotID)
	if err != nil || snap.Entry != e.ResourceCode {
		return nil, schemas.Userf(schemas.ErrNotFound, "未找到目录 %s 的数据快照: %s", e.ResourceCode, schemas.Clip(snapshotID, 64))
	}
	if snap.Expired() {
		return nil, catalog.ExpiredError(e.ResourceCode, snap)
	}
	key := snap.ManifestKey
	if key == "" {
		key = lake.ManifestKey(e.Table, snap.ID)
	}
	m, err := lake.ReadManifest(ctx, b, key)
	if err != nil {
		return nil, err
	}
	return visibleProfile(e, access, snap, m), nil
}

// visibleProfile is the profile of manifest m as access lets it be seen.
func visibleProfile(e *catalog.Entry, access catalog.Access, snap *catalog.Snapshot, m *lake.Manifest) *EntryProfile {
	out := &EntryProfile{Entry: e.ResourceCode, Name: e.Name, Snapshot: snap.ID, CommittedAt: snap.CommittedAt,
		Rows: m.Rows, Profiled: len(m.Profiles) > 0, Items: []ItemProfile{}}
	if !out.Profiled {
		out.Note = noteUnprofiled
		return out
	}
	byField := make(map[string]*lake.Profile, len(m.Profiles))
	for i := range m.Profiles {
		byField[m.Profiles[i].Field] = &m.Profiles[i]
	}
	for _, ia := range access.Items {
		sp := byField[ia.Field]
		it, ok := e.Item(ia.Field)
		if !ia.Visible || sp == nil || !ok {
			continue
		}
		ip := ItemProfile{Field: it.Field, Name: it.Name, Type: sp.Type, Rows: sp.Rows, Nulls: sp.Nulls,
			Distinct: sp.Distinct, Masked: ia.Mask != "", Stale: sp.Stale, Approximate: sp.Approximate || sp.Stale > 0}
		if ip.Stale > 0 {
			out.Note = noteStale
		}
		if !ip.Masked {
			ip.Min, ip.Max = sp.Min, sp.Max
			l, _ := schemas.List(it.CodeList)
			for _, c := range sp.Top(profileTop) {
				tv := TopValue{Value: c.Value, Count: c.Count}
				if l != nil {
					if name := l.NameOf(c.Value); name != c.Value {
						tv.Name = name
					}
				}
				ip.Top = append(ip.Top, tv)
			}
		}
		out.Items = append(out.Items, ip)
	}
	return out
}

// handleProfile answers GET /api/v1/entries/{code}/profile[?snapshot=ID].
func (s *Server) handleProfile(w http.ResponseWriter, r *http.Request) {
	p := s.principal(w, r)
	if p == nil {
		return
	}
	prof, err := ReadProfile(r.Context(), s.Cat.View(), s.Bucket, p, r.PathValue("code"), r.URL.Query().Get("snapshot"), time.Now())
	if err != nil {
		WriteError(w, s.Log, err)
		return
	}
	writeJSON(w, http.StatusOK, prof)
}
