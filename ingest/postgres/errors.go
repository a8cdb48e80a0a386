package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/cqeco/ecolake/ingest"
	"github.com/cqeco/ecolake/schemas"
)

// The messages below reach district staff and operators: Chinese, naming the server, database,
// table and column, never the password. The password is in no string this package builds, and
// neither the server nor pgx repeat it; the tests hold that.

// stage is what a read was doing when it failed.
type stage string

const (
	stageConnect stage = "连接"
	stageQuery   stage = "查询"
	stageRead    stage = "读取"
)

// fail turns an error of the server or the network into a user error; the driver's text stays
// beside it for the log (pgx never puts the password in it), not wrapped, so that no error of
// the driver (io.EOF) is mistaken for the stream's own. A cancelled or expired context is passed
// on as itself, not as a failure of the source.
func (s *Source) fail(ctx context.Context, st stage, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("postgres %s: %w", s.c.addr(), ctxErr)
	}
	return fmt.Errorf("postgres %s: %v: %w", s.c.addr(), err, s.userError(st, err))
}

func (s *Source) userError(st stage, err error) error {
	where := fmt.Sprintf("PostgreSQL %s/%s", s.c.addr(), s.c.database)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return s.serverError(where, st, pgErr)
	}
	var (
		netErr net.Error
		dnsErr *net.DNSError
	)
	var why string
	switch {
	case errors.As(err, &dnsErr):
		why = fmt.Sprintf("主机名 %s 无法解析", schemas.Clip(s.c.host, 64))
	case errors.Is(err, syscall.ECONNREFUSED):
		why = "连接被拒绝（服务未启动或端口不对）"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		why = fmt.Sprintf("%s 内无响应", s.c.connectTimeout)
	case s.c.sslmode != "disable" && s.c.sslmode != "prefer" && (strings.Contains(err.Error(), "TLS") || strings.Contains(err.Error(), "x509")):
		// prefer falls back to plain text, so a TLS failure there is not the reason.
		why = fmt.Sprintf("SSL 连接失败（sslmode=%s：服务器不支持 SSL 或证书校验未通过）", s.c.sslmode)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed):
		why = "连接被断开"
	default:
		why = "网络或协议错误"
	}
	return schemas.Userf(ingest.ErrSourceFailed, "%s %s失败：%s", where, st, why)
}

// serverError words the errors the server reports by their SQLSTATE.
func (s *Source) serverError(where string, st stage, e *pgconn.PgError) error {
	user := schemas.Clip(s.c.user, 64)
	table := schemas.Clip(s.c.tableText, 128)
	switch e.Code {
	case "28P01":
		return schemas.Userf(ingest.ErrSourceFailed, "%s 拒绝用户 %s 登录：用户名或密码错误", where, user)
	case "28000":
		return schemas.Userf(ingest.ErrSourceFailed, "%s 拒绝用户 %s 登录：服务器的访问规则（pg_hba.conf）不允许该用户从本服务所在地址连接此数据库", where, user)
	case "3D000":
		return schemas.Userf(ingest.ErrSourceFailed, "PostgreSQL %s 上没有数据库 %s", s.c.addr(), schemas.Clip(s.c.database, 64))
	case "42P01":
		return s.missingTable()
	case "42501":
		return schemas.Userf(ingest.ErrSourceFailed, "%s：用户 %s 无权读取表 %s（%s）", where, user, table, schemas.Clip(e.Message, 200))
	case "57014":
		return schemas.Userf(ingest.ErrSourceFailed, "%s：读取表 %s 的语句超过语句超时 %s 被中止", where, table, s.c.statementTimeout)
	case "53300":
		return schemas.Userf(ingest.ErrSourceFailed, "%s 连接数已满，请稍后再试", where)
	case "57P01", "57P02", "57P03":
		return schemas.Userf(ingest.ErrSourceFailed, "%s 正在关闭或启动，暂不接受连接", where)
	case "22023":
		if st == stageConnect {
			return schemas.Userf(ingest.ErrSourceFailed, "%s 不接受连接参数（时区 %s 或其他设置无效）：%s", where, schemas.Clip(s.c.timeZone, 64), schemas.Clip(e.Message, 200))
		}
	}
	return schemas.Userf(ingest.ErrSourceFailed, "%s %s表 %s 失败：%s（SQLSTATE %s）", where, st, table, schemas.Clip(e.Message, 300), e.Code)
}

func (s *Source) missingTable() error {
	return schemas.Userf(ingest.ErrSourceFailed, "PostgreSQL %s/%s 中没有表或视图 %s（或用户 %s 看不到它）",
		s.c.addr(), s.c.database, schemas.Clip(s.c.tableText, 128), schemas.Clip(s.c.user, 64))
}

func (s *Source) missingColumns(missing, have []string) error {
	return schemas.Userf(ingest.ErrSourceFailed, "PostgreSQL %s/%s 的表 %s 中没有列 %s（现有列：%s）",
		s.c.addr(), s.c.database, schemas.Clip(s.c.tableText, 128),
		schemas.Clip(strings.Join(missing, "、"), 200), schemas.Clip(strings.Join(have, "、"), 300))
}

// isDataException is an error of the server's SQLSTATE class 22: a value that does not parse as
// its type, which for a read's only parameter means the watermark.
func isDataException(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "22")
}

func (s *Source) badWatermark(since string, err error) error {
	var pgErr *pgconn.PgError
	errors.As(err, &pgErr)
	return schemas.Userf(ingest.ErrSourceFailed, "水位“%s”不是表 %s 增量列 %s 的值（%s）",
		schemas.Clip(since, 64), schemas.Clip(s.c.tableText, 128), s.c.columns[s.c.watermark], schemas.Clip(pgErr.Message, 200))
}
