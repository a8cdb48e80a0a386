// Package rest is the connector for national vertical systems (垂管系统) that hand data back to
// the province as JSON over HTTP: pages of records fetched with a token, a watermark sent as a
// query parameter and checked again on our side, retries with backoff within a budget.
package rest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

func init() { ingest.Register(ingest.Connector{Spec: Spec, New: New}) }

// Pagination modes.
const (
	pagePages   = "page"
	pageOffset  = "offset"
	pageCursor  = "cursor"
	pageNone    = "none"
	maxRate     = 1000 // requests per second a steward may configure
	maxPageSize = 10000
)

// Spec is the rest connector's configuration.
var Spec = ingest.Spec{
	Kind:        "rest",
	Title:       "垂管系统 JSON 接口",
	Description: "通过 HTTP 分页拉取国家垂管系统回流的 JSON 数据，按水位字段增量归集。",
	Fields: []ingest.SpecField{
		{Key: "url", Type: ingest.TypeURL, Required: true, Title: "接口地址",
			Description: "返回一页记录的接口地址；地址中可带固定查询参数，分页与水位参数由连接器追加。",
			Example:     "https://api.example.gov.cn/v1/water/sections?region=500000"},
		{Key: "auth_header", Type: ingest.TypeString, Default: "Authorization", Title: "认证请求头",
			Description: "放置令牌的请求头名称。", Example: "X-Api-Key"},
		{Key: "token", Type: ingest.TypeSecret, Title: "令牌",
			Description: "认证请求头的完整取值，原样发送（例如“Bearer ”加令牌）；只用于请求头，不写入日志和错误信息。",
			Example:     "Bearer eyJhbGciOi…"},
		{Key: "records", Type: ingest.TypeString, Default: "$.data", Title: "记录数组路径",
			Description: "每页响应中记录数组的 JSON 路径，写作 $.data.items 或 data.items，可用 [0] 取数组元素；$ 表示响应本身就是数组。",
			Example:     "$.result.items"},
		{Key: "mapping", Type: ingest.TypeMapping, Required: true, Title: "字段映射",
			Description: "每行（或以分号分隔）一组“信息项字段=记录内 JSON 路径”，表头按书写顺序排列。",
			Example:     "code=station.code; at=$.monitorTime; value=readings[0].value"},
		{Key: "pagination", Type: ingest.TypeEnum, Default: pagePages, Enum: []string{pagePages, pageOffset, pageCursor, pageNone},
			Title:       "分页方式",
			Description: "page 按页码，offset 按偏移量，cursor 按游标，none 不分页（一次请求取全部）。page 与 offset 方式遇到不满一页即停止，因此每页条数不得超过接口允许的上限。",
			Example:     pageCursor},
		{Key: "page_param", Type: ingest.TypeString, Default: "page", Title: "页码参数名",
			Description: "page 方式下发送页码的查询参数名。", Example: "pageNo"},
		{Key: "size_param", Type: ingest.TypeString, Default: "size", Title: "每页条数参数名",
			Description: "发送每页条数的查询参数名。", Example: "pageSize"},
		{Key: "page_size", Type: ingest.TypeInt, Default: "500", Min: 1, Max: maxPageSize, Title: "每页条数",
			Description: "每次请求的记录条数，1–10000。", Example: "1000"},
		{Key: "first_page", Type: ingest.TypeInt, Default: "1", Min: 0, Max: 1_000_000, Title: "起始页码",
			Description: "page 方式下第一页的页码（从 0 还是从 1 开始）。", Example: "0"},
		{Key: "offset_param", Type: ingest.TypeString, Default: "offset", Title: "偏移量参数名",
			Description: "offset 方式下发送偏移量的查询参数名。", Example: "start"},
		{Key: "cursor_param", Type: ingest.TypeString, Default: "cursor", Title: "游标参数名",
			Description: "cursor 方式下发送游标的查询参数名；第一页不发送。", Example: "scrollId"},
		{Key: "next_cursor", Type: ingest.TypeString, Default: "$.next_cursor", Title: "下一页游标路径",
			Description: "cursor 方式下每页响应中下一页游标的 JSON 路径；为空或不存在即已是最后一页。", Example: "$.page.next"},
		{Key: "watermark_field", Type: ingest.TypeString, Required: true, Title: "水位字段",
			Description: "映射中作为水位的信息项字段（通常是更新时间）；每次拉取只取水位大于上次水位的记录。",
			Example:     "at"},
		{Key: "watermark_param", Type: ingest.TypeString, Default: "since", Title: "水位参数名",
			Description: "把上次水位发给接口的查询参数名；接口即使忽略该参数，连接器也会在本地过滤掉不新于上次水位的记录。",
			Example:     "updatedAfter"},
		{Key: "rate_limit", Type: ingest.TypeString, Default: "5", Title: "每秒请求数上限",
			Description: "对该接口每秒最多发出的请求数（含重试），可为小数如 0.5；0 表示不限。", Example: "2"},
		{Key: "timeout", Type: ingest.TypeDuration, Default: "30s", Title: "单次请求超时",
			Description: "一次请求（含读取响应）的最长时间，超时后重试。", Example: "1m"},
		{Key: "max_retries", Type: ingest.TypeInt, Default: "5", Min: 0, Max: 20, Title: "最多重试次数",
			Description: "每页请求遇到超时、连接失败、HTTP 429 或 5xx 时的重试次数，0–20；其他 4xx 与内容无效的页不重试。", Example: "8"},
		{Key: "retry_base", Type: ingest.TypeDuration, Default: "500ms", Title: "重试基础间隔",
			Description: "第 n 次重试前随机等待 0 到 基础间隔×2ⁿ（最多 30s）；接口给出 Retry-After 时至少等待该时长（最多 60s）。",
			Example:     "1s"},
		{Key: "max_pages", Type: ingest.TypeInt, Default: "100000", Min: 1, Max: 10_000_000, Title: "最多页数",
			Description: "一次拉取最多请求的页数；超过仍未结束即报错，以免接口无尽分页。", Example: "5000"},
		{Key: "max_body", Type: ingest.TypeInt, Default: strconv.Itoa(32 << 20), Min: 1 << 10, Max: 1 << 30, Title: "单页响应上限（字节）",
			Description: "一页响应的最大字节数（解压后），1 KiB–1 GiB；超过即报错。", Example: "67108864"},
	},
}

// config is the resolved settings in the form the source uses them.
type config struct {
	base        *url.URL   // scheme, host and path: what Describe and messages show
	query       url.Values // the fixed query parameters the steward wrote in the url
	authHeader  string
	token       ingest.Secret
	records     jsonPath
	fields      []string // the header: item field identifiers in mapping order
	paths       []jsonPath
	mark        int // index in fields of the watermark field
	pagination  string
	pageParam   string
	sizeParam   string
	offsetParam string
	cursorParam string
	nextCursor  jsonPath
	markParam   string
	pageSize    int
	firstPage   int
	rate        rate.Limit
	timeout     time.Duration
	maxRetries  int
	retryBase   time.Duration
	maxPages    int
	maxBody     int64
}

// Source is a configured national system endpoint. It is safe for concurrent reads; its rate
// limit is shared by all of them.
type Source struct {
	cfg     config
	client  *http.Client
	limiter *rate.Limiter
	log     *slog.Logger
}

// New makes a source from resolved settings; problems Resolve cannot see (paths, the watermark
// field, the rate) are reported at once, by field.
func New(s ingest.Settings) (ingest.Source, error) {
	cfg, err := newConfig(s)
	if err != nil {
		return nil, err
	}
	src := &Source{cfg: cfg, log: slog.New(slog.DiscardHandler)}
	src.limiter = rate.NewLimiter(cfg.rate, 1)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: refuseAddress}
	transport.DialContext = dialer.DialContext
	src.client = &http.Client{Transport: transport, CheckRedirect: src.checkRedirect}
	return src, nil
}

// WithLogger returns the source logging its retries to l: an optional capability the scheduler
// finds by type assertion, as the ingest.Source interface stays small.
func (s *Source) WithLogger(l *slog.Logger) ingest.Source {
	c := *s
	if c.log = l; l == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return &c
}

// Describe names the endpoint without its query, which may carry keys.
func (s *Source) Describe() string { return "rest " + s.cfg.base.String() }

// Read starts a pull of the records newer than since; pages are fetched as Next needs them.
func (s *Source) Read(ctx context.Context, since string) (ingest.Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", s.Describe(), err)
	}
	return newStream(ctx, s, since), nil
}

func newConfig(s ingest.Settings) (config, error) {
	p := &schemas.InvalidError{Subject: "连接器 rest 配置", Err: ingest.ErrInvalidConnector}
	add := func(field, format string, args ...any) {
		p.Problems = append(p.Problems, schemas.Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	c := config{
		authHeader: s.String("auth_header"), token: s.Secret("token"), pagination: s.String("pagination"),
		pageParam: s.String("page_param"), sizeParam: s.String("size_param"),
		offsetParam: s.String("offset_param"), cursorParam: s.String("cursor_param"),
		markParam: s.String("watermark_param"), pageSize: int(s.Int("page_size")),
		firstPage: int(s.Int("first_page")), timeout: s.Duration("timeout"),
		maxRetries: int(s.Int("max_retries")), retryBase: s.Duration("retry_base"),
		maxPages: int(s.Int("max_pages")), maxBody: s.Int("max_body"),
	}
	u, err := url.Parse(s.String("url"))
	switch {
	case err != nil || u.Host == "":
		add("url", "应为 http:// 或 https:// 开头的完整地址")
	case u.User != nil:
		add("url", "地址中不能写用户名或密码，请改用令牌 token")
	default:
		c.query = u.Query()
		c.base = &url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	}
	if !validHeaderName(c.authHeader) {
		add("auth_header", "“%s”不是有效的请求头名称", schemas.Clip(c.authHeader, 32))
	}
	if strings.ContainsAny(c.token.Reveal(), "\r\n") {
		add("token", "令牌不能包含换行")
	}
	if c.records, err = parsePath(s.String("records")); err != nil {
		add("records", "%s", err)
	}
	if c.nextCursor, err = parsePath(s.String("next_cursor")); err != nil {
		add("next_cursor", "%s", err)
	}
	for _, fp := range s.Mapping("mapping") {
		jp, err := parsePath(fp.Path)
		if err != nil {
			add("mapping", "信息项字段“%s”的路径%s", schemas.Clip(fp.Field, 48), err)
		}
		c.fields = append(c.fields, fp.Field)
		c.paths = append(c.paths, jp)
	}
	mark := s.String("watermark_field")
	if c.mark = slices.Index(c.fields, mark); c.mark < 0 {
		add("watermark_field", "“%s”不是映射中的信息项字段", schemas.Clip(mark, 48))
	}
	for _, k := range []string{"page_param", "size_param", "offset_param", "cursor_param", "watermark_param"} {
		if strings.TrimSpace(s.String(k)) == "" {
			add(k, "参数名不能为空")
		}
	}
	r, err := strconv.ParseFloat(s.String("rate_limit"), 64)
	switch {
	case err != nil || r < 0 || r > maxRate:
		add("rate_limit", "应为 0–%d 之间的数（每秒请求数，0 表示不限）", maxRate)
	case r == 0:
		c.rate = rate.Inf
	default:
		c.rate = rate.Limit(r)
	}
	if c.timeout <= 0 {
		add("timeout", "应大于 0")
	}
	if c.retryBase <= 0 {
		add("retry_base", "应大于 0")
	}
	if len(p.Problems) > 0 {
		return config{}, p
	}
	return c, nil
}

// validHeaderName reports whether h is an HTTP header field name (an RFC 9110 token).
func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

// checkRedirect follows redirects only within the configured scheme and host: a token sent in a
// header other than Authorization would otherwise follow a redirect to any host.
func (s *Source) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 || req.URL.Scheme != s.cfg.base.Scheme || req.URL.Host != s.cfg.base.Host {
		return http.ErrUseLastResponse
	}
	return nil
}
