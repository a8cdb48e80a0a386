package postgres

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time_zone is checked on machines without a zoneinfo database too
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

// Spec is the postgres connector's configuration.
var Spec = ingest.Spec{
	Kind:        "postgres",
	Title:       "PostgreSQL 数据库",
	Description: "从业务系统的 PostgreSQL 数据库按增量列读取一张表或视图：每次只读增量列大于上次水位的行，按增量列排序。",
	Fields: []ingest.SpecField{
		{Key: "host", Type: ingest.TypeString, Required: true, Title: "主机",
			Description: "数据库服务器的主机名或 IP 地址。", Example: "10.12.3.40"},
		{Key: "port", Type: ingest.TypeInt, Default: "5432", Min: 1, Max: 65535, Title: "端口",
			Description: "数据库服务器的端口。", Example: "5432"},
		{Key: "database", Type: ingest.TypeString, Required: true, Title: "数据库",
			Description: "数据库名。", Example: "env_monitor"},
		{Key: "user", Type: ingest.TypeString, Required: true, Title: "用户名",
			Description: "登录用户；只需对所读的表有 SELECT 权限，建议使用只读账号。", Example: "ecolake_reader"},
		{Key: "password", Type: ingest.TypeSecret, Title: "密码",
			Description: "登录密码；保存后不再显示，也不会出现在日志和错误信息中。"},
		{Key: "sslmode", Type: ingest.TypeEnum, Default: "prefer", Enum: []string{"disable", "prefer", "require", "verify-full"},
			Title: "SSL 模式", Example: "require",
			Description: "disable 不加密；prefer 服务器支持时加密；require 必须加密但不校验证书；verify-full 加密并校验证书和主机名。"},
		{Key: "table", Type: ingest.TypeString, Required: true, Title: "表或视图",
			Description: "要读取的表或视图，可带模式名；名称按数据库中的实际写法填写（区分大小写）。", Example: "public.water_quality_hourly"},
		{Key: "mapping", Type: ingest.TypeMapping, Required: true, Title: "字段映射",
			Description: "每行一组“信息项字段=列名”，也可用分号分隔；只读取映射到的列。", Example: "station_code=code\nmonitor_time=sample_time\nph=ph_value"},
		{Key: "watermark_column", Type: ingest.TypeString, Required: true, Title: "增量列",
			Description: "按其增量读取的列（如更新时间或自增编号），须是映射中的列；每次读取该列大于上次水位的行，该列为空的行不读取。", Example: "sample_time"},
		{Key: "batch_rows", Type: ingest.TypeInt, Default: "10000", Min: 1, Max: 1_000_000, Title: "每批行数",
			Description: "每次从服务器取回的行数。", Example: "10000"},
		{Key: "time_zone", Type: ingest.TypeString, Default: "Asia/Shanghai", Title: "时区",
			Description: "带时区的时间（timestamptz）换算为该时区的时间；不带时区的时间按原样读取。", Example: "Asia/Shanghai"},
		{Key: "connect_timeout", Type: ingest.TypeDuration, Default: "10s", Title: "连接超时",
			Description: "建立连接最多等待的时长。", Example: "10s"},
		{Key: "statement_timeout", Type: ingest.TypeDuration, Default: "10m", Title: "语句超时",
			Description: "每条语句（每取一批）最长执行时长，0 表示不限。", Example: "10m"},
	},
}

// config is a source's checked settings.
type config struct {
	host, database, user string
	port                 int
	password             ingest.Secret
	sslmode              string
	table                pgx.Identifier
	tableText            string   // as configured, for messages
	fields, columns      []string // the mapping: item field i is read from column i
	watermark            int      // the index in columns of the watermark column
	batchRows            int
	timeZone             string
	connectTimeout       time.Duration
	statementTimeout     time.Duration
}

// newConfig checks what Spec.Resolve could not: names are identifiers, the watermark column is
// mapped, the time zone exists. Every problem is reported at once.
func newConfig(s ingest.Settings) (config, error) {
	c := config{
		host:             s.String("host"),
		port:             int(s.Int("port")),
		database:         s.String("database"),
		user:             s.String("user"),
		password:         s.Secret("password"),
		sslmode:          s.String("sslmode"),
		tableText:        s.String("table"),
		batchRows:        int(s.Int("batch_rows")),
		timeZone:         s.String("time_zone"),
		connectTimeout:   s.Duration("connect_timeout"),
		statementTimeout: s.Duration("statement_timeout"),
	}
	p := &schemas.InvalidError{Subject: "连接器 postgres 配置", Err: ingest.ErrInvalidConnector}
	add := func(field, format string, args ...any) {
		p.Problems = append(p.Problems, schemas.Problem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !validHost(c.host) {
		add("host", "“%s”不是主机名或 IP 地址", schemas.Clip(c.host, 64))
	}
	for _, kv := range []struct{ key, v string }{{"database", c.database}, {"user", c.user}} {
		if strings.ContainsRune(kv.v, 0) || len(kv.v) > maxIdentifier {
			add(kv.key, "“%s”不是有效的名称", schemas.Clip(kv.v, 64))
		}
	}
	parts := strings.Split(c.tableText, ".")
	if len(parts) > 2 || !allIdentifiers(parts) {
		add("table", "“%s”不是表名：应写作“表名”或“模式名.表名”，名称由字母、数字、下划线组成且不以数字开头", schemas.Clip(c.tableText, 64))
	}
	c.table = pgx.Identifier(parts)
	for _, fp := range s.Mapping("mapping") {
		if !isIdentifier(fp.Path) {
			add("mapping", "“%s”不是列名：名称由字母、数字、下划线组成且不以数字开头", schemas.Clip(fp.Path, 64))
		}
		c.fields = append(c.fields, fp.Field)
		c.columns = append(c.columns, fp.Path)
	}
	c.watermark = -1
	wm := s.String("watermark_column")
	for i, col := range c.columns {
		if col == wm {
			c.watermark = i
			break
		}
	}
	if c.watermark < 0 {
		add("watermark_column", "增量列“%s”不在字段映射的列中", schemas.Clip(wm, 64))
	}
	if _, err := time.LoadLocation(c.timeZone); err != nil || c.timeZone == "Local" {
		add("time_zone", "“%s”不是时区名（例如 Asia/Shanghai）", schemas.Clip(c.timeZone, 64))
	}
	if len(p.Problems) > 0 {
		return config{}, p
	}
	return c, nil
}

// maxIdentifier is PostgreSQL's NAMEDATALEN-1: a longer name is cut by the server, so it can
// never name what was written.
const maxIdentifier = 63

// isIdentifier accepts the names an unquoted SQL identifier may have (letters of any script,
// digits, '_' and '$', not starting with a digit or '$'). Names are still quoted when used, so
// case is kept; anything else (quotes, blanks, dots, semicolons) is refused outright.
func isIdentifier(s string) bool {
	if s == "" || len(s) > maxIdentifier || !utf8.ValidString(s) {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (r == '$' || (r >= '0' && r <= '9')):
		default:
			return false
		}
	}
	return true
}

func allIdentifiers(parts []string) bool {
	for _, p := range parts {
		if !isIdentifier(p) {
			return false
		}
	}
	return true
}

// validHost accepts host names and IP addresses, not the lists or socket paths a connection
// string's host could also hold.
func validHost(h string) bool {
	if net.ParseIP(h) != nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, r := range h {
		if !(r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// addr is host:port, as messages and Describe name the server.
func (c config) addr() string { return net.JoinHostPort(c.host, strconv.Itoa(c.port)) }

// connString is the keyword/value connection string without the password, which is set on the
// parsed configuration so that it is in no string at all.
func (c config) connString() string {
	return fmt.Sprintf("host=%s port=%d dbname=%s user=%s sslmode=%s",
		quoteValue(c.host), c.port, quoteValue(c.database), quoteValue(c.user), c.sslmode)
}

// quoteValue quotes a connection string value as libpq reads it.
func quoteValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}
