package query

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/cqeco/ecolake/catalog"
	"github.com/cqeco/ecolake/schemas"
)

// request is what one GraphQL execution carries in its context: the catalogue view taken at its
// start, the principal, the rows its data fields may still return, and what the audit line
// reports.
type request struct {
	view      *catalog.View
	principal *catalog.Principal
	cfg       Config    // the service's, with the limits of the principal's role
	now       time.Time // the request's time: grants that expired before it open nothing
	admitted  bool      // a slot of Config.MaxConcurrent was taken; set before execution starts
	overShare bool      // not admitted: the principal's share (Config.MaxConcurrentPerPrincipal) was full

	mu        sync.Mutex
	budget    int // rows and groups still to be handed out (Config.MaxRowsPerRequest at the start)
	max       int // the budget at the start, for the message
	fields    []string
	datasets  []string
	snapshots []string
	rows      int
	// For the audit event (audit.go).
	entries, items, masked, unmasked, scopes, grants []string
	truncated                                        []map[string]any // lists cut at their limit
	sceneUse                                         sceneUseMemo     // the audit's scene use, read once (schema_figures.go)
}

func newRequest(view *catalog.View, p *catalog.Principal, now time.Time, rows int) *request {
	return &request{view: view, principal: p, now: now, budget: rows, max: rows}
}

// reader is whom the request's schema is built for.
func (r *request) reader() reader { return reader{view: r.view, p: r.principal, now: r.now} }

type requestKey struct{}
type principalKey struct{}

func withRequest(ctx context.Context, r *request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

func requestFrom(ctx context.Context) (*request, error) {
	r, ok := ctx.Value(requestKey{}).(*request)
	if !ok {
		return nil, fmt.Errorf("resolver called outside a request: %w", ErrUnauthenticated)
	}
	return r, nil
}

// WithPrincipal returns a context carrying the authenticated principal.
func WithPrincipal(ctx context.Context, p *catalog.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal the Handler authenticated, nil when none.
func PrincipalFrom(ctx context.Context) *catalog.Principal {
	p, _ := ctx.Value(principalKey{}).(*catalog.Principal)
	return p
}

// entry returns the entry with the given code and the catalogue's access decision on it for the
// request's principal at the request's time. An entry that does not exist for the principal is ErrNotFound, the same
// answer as for an entry that does not exist at all.
func (r *request) entry(code string) (*catalog.Entry, catalog.Access, error) {
	e, a, err := r.view.EntryFor(r.principal, code, r.now)
	if err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return nil, catalog.Access{}, notFound(code)
		}
		return nil, catalog.Access{}, fmt.Errorf("entry %s: %w", code, err)
	}
	return e, a, nil
}

func (r *request) noteField(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fields = append(r.fields, name)
}

func (r *request) noteRead(table, snapshot string, rows int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.datasets = append(r.datasets, table)
	if snapshot != "" {
		r.snapshots = append(r.snapshots, snapshot)
	}
	r.rows += rows
}

// reserve hands out up to want rows of the budget to one data field, which must settle them once
// it knows how many it returns. A field that needs more than is left queries one row beyond
// its grant, to tell a result that fits from one that was cut; nothing is handed out once the
// budget is spent, so the fields of one request together never read much more than the budget.
func (r *request) reserve(want int) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if want > 0 && r.budget <= 0 {
		return 0, r.tooManyRows()
	}
	grant := min(want, r.budget)
	r.budget -= grant
	return grant, nil
}

// settle gives back what a field was granted but did not return, and refuses a result larger
// than its grant: that result would have been cut. A refused field keeps its grant spent, so
// the fields after it are refused before they query rather than each reading a grant again.
func (r *request) settle(grant, used int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if used > grant {
		return r.tooManyRows()
	}
	r.budget += grant - used
	return nil
}

// refund gives back to the budget n rows a field read but does not return.
func (r *request) refund(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.budget += n
	r.rows -= n
}

func (r *request) tooManyRows() error {
	return &userError{msg: fmt.Sprintf("本次请求返回的行数超过上限 %d, 请减少别名或 limit", r.max), err: ErrTooLarge}
}

func (r *request) audit() (fields, datasets, snapshots []string, rows int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return uniq(r.fields), uniq(r.datasets), uniq(r.snapshots), r.rows
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// userError carries a Simplified-Chinese message for the GraphQL response while wrapping a
// package sentinel for errors.Is.
type userError struct {
	msg      string
	err      error
	problems []schemas.Problem // per field, for a refused input (extensions.problems)
}

func (e *userError) Error() string { return e.msg }
func (e *userError) Unwrap() error { return e.err }

func invalidf(format string, args ...any) error {
	return &userError{msg: fmt.Sprintf(format, args...), err: ErrInvalid}
}

func notFound(code string) error {
	return &userError{msg: fmt.Sprintf("目录资源 %s 不存在或无权访问", code), err: ErrNotFound}
}
