package app

import (
	"net/http"

	"github.com/cqeco/ecolake/internal/api"
)

// Routes is the HTTP surface of the service: the doors of internal/api over the App's parts.
func (a *App) Routes() http.Handler {
	return (&api.Server{Cat: a.Cat, Bucket: a.Bucket, Ingest: a.Ingest, Query: a.Query, Log: a.log}).Routes()
}
