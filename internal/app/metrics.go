package app

import "github.com/cqeco/ecolake/internal/api"

// gcResult is the last scheduled collection as /metrics shows it.
func (a *App) gcResult() api.GCResult {
	g := a.LastGC()
	return api.GCResult{Started: g.Started, Took: g.Took, Expired: g.Expired, Deleted: g.Deleted, Bytes: g.Bytes,
		Scanned: g.Scanned, Purged: g.Purged, Failed: g.Err != nil}
}
