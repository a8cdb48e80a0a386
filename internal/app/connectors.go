package app

// The connector kinds the service offers: each package registers itself with ingest.
import (
	_ "github.com/cqeco/ecolake/ingest/postgres"
	_ "github.com/cqeco/ecolake/ingest/rest"
)
