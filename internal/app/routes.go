package app

import (
	"net/http"

	"github.com/cqeco/ecolake/internal/api"
)

// Submissions in progress at once (see api.Uploads): each may spool up to 2 GiB to the
// temporary directory under the data directory, so these bound what uploads may take of its disk.
const (
	maxUploads             = 4
	maxUploadsPerPrincipal = 1
)

// Routes is the HTTP surface of the service: the doors of internal/api over the App's parts.
func (a *App) Routes() http.Handler {
	return a.serverRoutes()
}

func (a *App) serverRoutes() http.Handler {
	return (&api.Server{Cat: a.Cat, Bucket: a.Bucket, Ingest: a.Ingest, Query: a.Query,
		Uploads: api.NewUploads(maxUploads, maxUploadsPerPrincipal), Log: a.log, Schedule: a.cfg.Schedule,
		Cache: a.Cache, LastGC: a.gcResult, CollectionTarget: a.cfg.Targets.Collection,
		HoldGC: a.holdGC, Iceberg: a.icebergRoutes()}).Routes()
}
