package rest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

var (
	errClosed    = errors.New("rest: read of a closed stream")
	errNotObject = errors.New("rest: record is not a JSON object")
)

// stream is one pull: the header, then the records of page after page, fetched as Next reaches
// the end of the one in memory.
type stream struct {
	// ctx is the Read's: Next has no context of its own, so the stream keeps the one the pull
	// was started with, and a cancel ends the pull at the next record.
	ctx context.Context
	src *Source

	since    markKey
	hasSince bool
	mark     markKey // the newest watermark returned, or since
	hasMark  bool

	headed bool
	page   []gjson.Result // the records of the page in memory
	i      int            // next record of page
	line   int
	rec    []string

	fetched int    // pages fetched
	pageNo  int    // page number of the next page (page mode)
	offset  int    // offset of the next page (offset mode)
	cursor  string // cursor of the next page (cursor mode); "" for the first
	last    bool   // the page in memory is the last one
	here    string // the page in memory, named for messages
	err     error  // ends the stream
	closed  bool
}

func newStream(ctx context.Context, src *Source, since string) *stream {
	st := &stream{ctx: ctx, src: src, pageNo: src.cfg.firstPage, rec: make([]string, len(src.cfg.fields))}
	if since != "" {
		st.since = keyOf(since, wallClock(since))
		st.hasSince, st.mark, st.hasMark = true, st.since, true
	}
	return st
}

func (st *stream) Encoding() string { return ingest.EncodingUTF8 }

// Watermark is the newest watermark value returned, as the source wrote it, or since.
func (st *stream) Watermark() string {
	if !st.hasMark {
		return ""
	}
	return st.mark.text
}

func (st *stream) Close() error {
	st.closed, st.page = true, nil
	return nil
}

func (st *stream) Next() ([]string, int, error) {
	switch {
	case st.closed:
		return nil, 0, errClosed
	case st.err != nil:
		return nil, 0, st.err
	case !st.headed:
		st.headed, st.line = true, 1
		return append(st.rec[:0], st.src.cfg.fields...), 1, nil
	}
	cfg := &st.src.cfg
	for {
		if err := st.ctx.Err(); err != nil {
			st.err = fmt.Errorf("read %s: %w", st.src.Describe(), err)
			return nil, 0, st.err
		}
		if st.i < len(st.page) {
			r := st.page[st.i]
			st.i++
			if !r.IsObject() {
				st.line++
				return nil, st.line, &ingest.RecordError{Line: st.line, Reason: fmt.Sprintf("%s第 %d 条记录不是 JSON 对象", st.here, st.i), Err: errNotObject}
			}
			st.rec = st.rec[:len(cfg.fields)]
			var mark gjson.Result
			for j, p := range cfg.paths {
				v := p.get(r)
				st.rec[j] = render(v)
				if j == cfg.mark {
					mark = v
				}
			}
			key := keyOf(markText(mark), st.rec[cfg.mark])
			if st.hasSince && key.cmp(st.since) <= 0 {
				continue // the server did not filter by watermark_param, or not strictly
			}
			if !st.hasMark || key.cmp(st.mark) > 0 {
				st.mark, st.hasMark = key, true
			}
			st.line++
			return st.rec, st.line, nil
		}
		if st.last {
			st.page = nil
			return nil, 0, io.EOF
		}
		if err := st.fetch(); err != nil {
			st.err, st.page = err, nil
			return nil, 0, err
		}
	}
}

// whereNext names the next page, the nth fetched counting from 0, by the request that fetches
// it: "第 3 页（page=3）".
func (st *stream) whereNext(n int) string {
	cfg := &st.src.cfg
	switch cfg.pagination {
	case pagePages:
		return fmt.Sprintf("第 %d 页（%s=%d）", n+1, cfg.pageParam, st.pageNo)
	case pageOffset:
		return fmt.Sprintf("第 %d 页（%s=%d）", n+1, cfg.offsetParam, st.offset)
	case pageCursor:
		if st.cursor == "" {
			return fmt.Sprintf("第 %d 页（首页）", n+1)
		}
		return fmt.Sprintf("第 %d 页（%s=%s）", n+1, cfg.cursorParam, schemas.Clip(st.cursor, 32))
	}
	return "唯一一页"
}

// fetch reads the next page into memory and moves the pagination state past it.
func (st *stream) fetch() error {
	cfg := &st.src.cfg
	where := st.whereNext(st.fetched)
	if st.fetched >= cfg.maxPages {
		return schemas.Userf(ingest.ErrSourceFailed, "数据源 %s 已读取 %d 页仍未结束，超过最多页数 max_pages；请检查分页方式与参数，或调大 max_pages", st.src.Describe(), cfg.maxPages)
	}
	body, err := st.src.get(st.ctx, st.request(), where)
	if err != nil {
		return err
	}
	recs, next, problem := parsePage(body, cfg)
	if problem != "" {
		return schemas.Userf(ingest.ErrSourceFailed, "数据源 %s %s内容无效：%s", st.src.Describe(), where, problem)
	}
	n := len(recs)
	if n > cfg.pageSize && (cfg.pagination == pagePages || cfg.pagination == pageOffset) {
		// The server ignores the paging parameters: the next page would repeat this one.
		return schemas.Userf(ingest.ErrSourceFailed, "数据源 %s %s返回 %d 条记录，多于每页条数 page_size（%d）：接口未按参数 %s 分页，请检查分页方式与参数名", st.src.Describe(), where, n, cfg.pageSize, cfg.sizeParam)
	}
	st.fetched++
	st.page, st.i, st.here = recs, 0, where
	switch cfg.pagination {
	case pagePages:
		st.pageNo++
		st.last = n < cfg.pageSize
	case pageOffset:
		st.offset += n
		st.last = n < cfg.pageSize
	case pageCursor:
		if next != "" && next == st.cursor {
			return schemas.Userf(ingest.ErrSourceFailed, "数据源 %s %s返回的下一页游标与本页相同，分页无法前进", st.src.Describe(), where)
		}
		st.cursor = next
		st.last = next == "" || n == 0
	default:
		st.last = true
	}
	return nil
}

// request is the address of the next page: the steward's fixed parameters, the page's and the
// watermark.
func (st *stream) request() string {
	cfg := &st.src.cfg
	q := make(url.Values, len(cfg.query)+3)
	for k, v := range cfg.query {
		q[k] = v
	}
	switch cfg.pagination {
	case pagePages:
		q.Set(cfg.pageParam, strconv.Itoa(st.pageNo))
	case pageOffset:
		q.Set(cfg.offsetParam, strconv.Itoa(st.offset))
	case pageCursor:
		if st.cursor != "" {
			q.Set(cfg.cursorParam, st.cursor)
		}
	}
	if cfg.pagination != pageNone {
		q.Set(cfg.sizeParam, strconv.Itoa(cfg.pageSize))
	}
	if st.hasSince {
		q.Set(cfg.markParam, st.since.text)
	}
	u := *cfg.base
	u.RawQuery = q.Encode()
	return u.String()
}

// parsePage reads a page's records and next cursor; problem says in Chinese what is wrong with
// a page that cannot be read. A records path holding null is an empty page.
func parsePage(body string, cfg *config) (recs []gjson.Result, next, problem string) {
	if !gjson.Valid(body) {
		return nil, "", "响应不是有效的 JSON"
	}
	doc := gjson.Parse(body)
	arr := cfg.records.get(doc)
	switch {
	case !arr.Exists():
		return nil, "", fmt.Sprintf("响应中没有记录数组 %s", schemas.Clip(cfg.records.text, 48))
	case arr.Type == gjson.Null:
	case !arr.IsArray():
		return nil, "", fmt.Sprintf("记录路径 %s 处不是数组", schemas.Clip(cfg.records.text, 48))
	default:
		recs = arr.Array()
	}
	if cfg.pagination == pageCursor {
		next = markText(cfg.nextCursor.get(doc)) // opaque: never rendered as a time
	}
	return recs, next, ""
}
