package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/lineage"
	"github.com/cqeco/ecolake/lineage/openlineage"
)

// lineageOut is where the runs' OpenLineage events go: the publisher that builds them, the
// emitter that queues them and the sinks it sends to.
type lineageOut struct {
	log  *slog.Logger
	pub  *lineage.Publisher
	em   *openlineage.Emitter
	file *openlineage.FileSink
}

// openLineageOut opens the sinks cfg names; nil when it names none.
func openLineageOut(cfg Config, cat *catalog.Store, log *slog.Logger) (*lineageOut, error) {
	var sinks []openlineage.Sink
	out := &lineageOut{log: log}
	if cfg.OpenLineageFile != "" {
		f, err := openlineage.NewFileSink(cfg.OpenLineageFile)
		if err != nil {
			return nil, fmt.Errorf("open lineage file: %w", err)
		}
		out.file = f
		sinks = append(sinks, f)
	}
	if cfg.OpenLineageURL != "" {
		h, err := openlineage.NewHTTPSink(cfg.OpenLineageURL, cfg.OpenLineageToken, openlineage.DefaultHTTPTimeout, 5)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("lineage endpoint: %w", err), out.closeFile())
		}
		sinks = append(sinks, h)
	}
	if len(sinks) == 0 {
		return nil, nil
	}
	out.em = openlineage.NewEmitter(log.With("component", "openlineage"), openlineage.DefaultQueue, sinks...)
	out.pub = lineage.NewPublisher(cat, out.em)
	return out, nil
}

// lineageDrain is how long closing waits for the queued events: an endpoint that is down must not
// hold up a shutdown.
const lineageDrain = 3 * time.Second

// close sends what is queued, for up to lineageDrain (what is left is logged as lost), then
// closes the file.
func (l *lineageOut) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), lineageDrain)
	defer cancel()
	if err := l.em.Close(ctx); err != nil {
		sent, failed, dropped := l.em.Stats()
		l.log.Warn("openlineage events not all sent at shutdown", "err", err, "sent", sent, "failed", failed, "dropped", dropped)
	}
	return l.closeFile()
}

func (l *lineageOut) closeFile() error {
	if l.file == nil {
		return nil
	}
	return l.file.Close()
}
