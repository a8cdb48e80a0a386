package catalog

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/go-memdb"

	"github.com/cqeco/ecolake/schemas"
)

// Token is a bearer token of a principal. Its secret is shown once, when it is created; the
// catalogue keeps only the SHA-256 of it.
type Token struct {
	ID        string
	Principal string // Principal.ID
	Name      string // what it is for, free text
	Hash      string // hex SHA-256 of the secret (HashToken), unique among tokens and principals
	// Set by the catalogue from the command time, so that replay reproduces them.
	CreatedAt time.Time
	ExpiresAt time.Time // CreatedAt plus the requested lifetime; from then on it opens nothing
	Revoked   bool
	RevokedAt time.Time
}

// Active reports whether the token opens anything at time now (its principal aside).
func (t *Token) Active(now time.Time) bool { return !t.Revoked && now.Before(t.ExpiresAt) }

const (
	// TokenPrefix starts every issued secret, so that a leaked one is recognisable in logs,
	// pastes and secret scanners.
	TokenPrefix = "eco_"
	// DefaultTokenTTL is the lifetime of a token when the caller names none.
	DefaultTokenTTL = 90 * 24 * time.Hour
	// MaxTokenTTL bounds a token's lifetime (ten years), so that no request, however it reaches
	// the catalogue, mints a token that practically never expires.
	MaxTokenTTL = MaxTokenTTLDays * 24 * time.Hour
	// MaxTokenTTLDays is MaxTokenTTL in days, for messages.
	MaxTokenTTLDays = 3650
	maxTokenName    = 100
)

const (
	tableTokens    = "tokens"
	indexHash      = "hash"
	indexPrincipal = "principal"
)

func tokensTableSchema() *memdb.TableSchema {
	return &memdb.TableSchema{
		Name: tableTokens,
		Indexes: map[string]*memdb.IndexSchema{
			indexID:        idIndex("ID"),
			indexHash:      {Name: indexHash, Unique: true, Indexer: &memdb.StringFieldIndex{Field: "Hash"}},
			indexPrincipal: {Name: indexPrincipal, Indexer: &memdb.StringFieldIndex{Field: "Principal"}},
		},
	}
}

// NewToken is a request for a token.
type NewToken struct {
	Principal string
	Name      string
	TTL       time.Duration // lifetime from the moment the catalogue records it; must be positive
}

type (
	// createTokenCmd carries the lifetime, not the expiry: both times follow from the record's
	// time on apply.
	createTokenCmd struct {
		ID        string        `json:"id"`
		Principal string        `json:"principal"`
		Name      string        `json:"name"`
		Hash      string        `json:"hash"`
		TTL       time.Duration `json:"ttl_ns"`
	}
	revokeTokenCmd struct {
		ID string `json:"id"`
	}
)

// CreateToken issues a random token for a principal and returns it with its secret. The secret
// is not stored and cannot be shown again. An unknown principal is ErrNotFound.
func (s *Store) CreateToken(ctx context.Context, req NewToken) (*Token, string, error) {
	secret, err := randomText(32, base64.RawURLEncoding.EncodeToString)
	if err != nil {
		return nil, "", err
	}
	id, err := randomText(8, hex.EncodeToString)
	if err != nil {
		return nil, "", err
	}
	secret, id = TokenPrefix+secret, "tok-"+id
	cmd := createTokenCmd{ID: id, Principal: req.Principal, Name: strings.TrimSpace(req.Name), Hash: HashToken(secret), TTL: req.TTL}
	if err := s.submit(ctx, cmdCreateToken, cmd, func(txn *memdb.Txn) error { return validateToken(txn, &cmd) }); err != nil {
		return nil, "", err
	}
	t, err := s.View().Token(id)
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// RevokeToken revokes a token: from the next request on it opens nothing. Revoking twice is a
// no-op; an unknown id is ErrNotFound.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	if t, err := s.View().Token(id); err == nil && t.Revoked {
		return nil
	}
	return s.submit(ctx, cmdRevokeToken, revokeTokenCmd{ID: id}, func(txn *memdb.Txn) error {
		_, err := first[Token](txn, tableTokens, "token", id)
		return err
	})
}

func randomText(n int, encode func([]byte) string) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return encode(b), nil
}

func validateToken(txn *memdb.Txn, cmd *createTokenCmd) error {
	pr, err := first[Principal](txn, tablePrincipals, "principal", cmd.Principal)
	if err != nil {
		return err
	}
	p := newProblems("令牌 %s", cmd.ID)
	p.key("id", cmd.ID)
	if raw, _ := txn.First(tableTokens, indexID, cmd.ID); raw != nil {
		p.add("id", "%s已存在", schemas.Quote(cmd.ID))
	}
	if pr.Disabled {
		p.add("principal", "账号 %s 已停用", pr.ID)
	}
	if cmd.TTL <= 0 {
		p.add("ttl", "有效期必须大于零")
	} else if cmd.TTL > MaxTokenTTL {
		p.add("ttl", "有效期最长 %d 天，请求的有效期超出上限", MaxTokenTTLDays)
	}
	if utf8.RuneCountInString(cmd.Name) > maxTokenName {
		p.add("name", "最多 %d 个字符", maxTokenName)
	}
	if !tokenHashRE.MatchString(cmd.Hash) {
		p.add("hash", "须为令牌的 SHA-256 摘要（64 位小写十六进制）")
	} else if hashTaken(txn, cmd.Hash) {
		p.add("hash", "已被占用")
	}
	return p.err()
}

// hashTaken reports whether a token or a principal's fixed token already has the hash. memdb does
// not enforce unique secondary indexes, so every writer checks.
func hashTaken(txn *memdb.Txn, hash string) bool {
	t, _ := txn.First(tableTokens, indexHash, hash)
	p, _ := txn.First(tablePrincipals, indexTokenHash, hash)
	return t != nil || p != nil
}

func applyCreateToken(txn *memdb.Txn, rec *record, cmd *createTokenCmd) error {
	at := rec.At.UTC()
	t := &Token{ID: cmd.ID, Principal: cmd.Principal, Name: cmd.Name, Hash: cmd.Hash, CreatedAt: at, ExpiresAt: at.Add(cmd.TTL)}
	if err := txn.Insert(tableTokens, t); err != nil {
		return fmt.Errorf("insert token %s: %w", t.ID, err)
	}
	return nil
}

func applyRevokeToken(txn *memdb.Txn, rec *record, cmd *revokeTokenCmd) error {
	old, err := first[Token](txn, tableTokens, "token", cmd.ID)
	if err != nil {
		return err
	}
	t := *old
	if !t.Revoked {
		t.Revoked, t.RevokedAt = true, rec.At.UTC()
	}
	if err := txn.Insert(tableTokens, &t); err != nil {
		return fmt.Errorf("insert token %s: %w", t.ID, err)
	}
	return nil
}

// Token returns the token with the given id.
func (v *View) Token(id string) (*Token, error) {
	t, err := first[Token](v.txn, tableTokens, "token", id)
	if err != nil {
		return nil, err
	}
	c := *t
	return &c, nil
}

// Tokens lists the tokens of a principal ("" for every principal), oldest first.
func (v *View) Tokens(principal string) []*Token {
	var out []*Token
	add := func(t *Token) { c := *t; out = append(out, &c) }
	if principal == "" {
		each(v.txn, tableTokens, indexID, add)
	} else {
		each(v.txn, tableTokens, indexPrincipal, add, principal)
	}
	slices.SortFunc(out, func(a, b *Token) int {
		return cmp.Or(cmp.Compare(a.Principal, b.Principal), a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// PrincipalByToken returns the enabled principal that a bearer token opens at time now: through
// an issued token that is neither revoked nor expired, or through a principal's fixed TokenHash.
// Anything else, a disabled principal included, is ErrNotFound. Both lookups go through a unique
// index on the SHA-256 of the token, so their timing tells nothing about the secret itself.
func (v *View) PrincipalByToken(token string, now time.Time) (*Principal, error) {
	notFound := fmt.Errorf("principal for token: %w", ErrNotFound)
	if token == "" {
		return nil, notFound
	}
	h := HashToken(token)
	var id string
	if raw, err := v.txn.First(tableTokens, indexHash, h); err == nil && raw != nil {
		t := raw.(*Token)
		if !t.Active(now) {
			return nil, notFound
		}
		id = t.Principal
	} else if raw, err := v.txn.First(tablePrincipals, indexTokenHash, h); err == nil && raw != nil {
		id = raw.(*Principal).ID
	} else {
		return nil, notFound
	}
	p, err := first[Principal](v.txn, tablePrincipals, "principal", id)
	if err != nil || p.Disabled {
		return nil, notFound
	}
	return copyPrincipal(p), nil
}

// HashToken returns the hex SHA-256 of a bearer token, the form stored in Token.Hash and
// Principal.TokenHash.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}
