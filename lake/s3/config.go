package s3

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/cqeco/ecolake/lake"
)

// Secret is a credential that never prints.
type Secret string

const redacted = "[redacted]"

// String hides the secret.
func (Secret) String() string { return redacted }

// GoString hides the secret from %#v.
func (Secret) GoString() string { return redacted }

// MarshalJSON hides the secret from JSON output.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// Config locates an S3 bucket (MinIO on premises, or any S3).
type Config struct {
	Endpoint  string // host:port
	Bucket    string
	Prefix    string // optional key prefix inside the bucket
	AccessKey string
	SecretKey Secret
	Secure    bool // https
	Region    string
	// StallTimeout is how long a request may wait on the store with no byte moving (a store that
	// took the connection and went silent) before it fails with ErrStalled; 0 means
	// DefaultStallTimeout. Slow but moving transfers never trip it.
	StallTimeout time.Duration
}

func (c Config) stallTimeout() time.Duration {
	if c.StallTimeout == 0 {
		return DefaultStallTimeout
	}
	return c.StallTimeout
}

// DefaultConfig returns a configuration speaking https; endpoint, bucket and credentials must
// still be set.
func DefaultConfig() Config { return Config{Secure: true} }

// S3 bucket naming rules (the subset every provider accepts).
var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// Validate reports the first problem with the configuration; errors wrap ErrInvalidConfig.
func (c Config) Validate() error {
	if c.Endpoint == "" {
		return fmt.Errorf("s3 endpoint is empty: %w", ErrInvalidConfig)
	}
	if strings.Contains(c.Endpoint, "://") {
		return fmt.Errorf("s3 endpoint %q must be host:port without a scheme (use secure for https): %w", c.Endpoint, ErrInvalidConfig)
	}
	if host, port, err := net.SplitHostPort(c.Endpoint); err != nil || host == "" || port == "" {
		return fmt.Errorf("s3 endpoint %q must be host:port: %w", c.Endpoint, ErrInvalidConfig)
	}
	if err := checkBucketName(c.Bucket); err != nil {
		return err
	}
	if c.Prefix != "" {
		if err := lake.CheckPrefix(c.Prefix); err != nil {
			return fmt.Errorf("s3 prefix %q: %v: %w", c.Prefix, err, ErrInvalidConfig)
		}
	}
	if c.StallTimeout < 0 {
		return fmt.Errorf("s3 stall timeout %s must not be negative: %w", c.StallTimeout, ErrInvalidConfig)
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return fmt.Errorf("s3 access key and secret key are required: %w", ErrInvalidConfig)
	}
	return nil
}

func checkBucketName(name string) error {
	if !bucketRE.MatchString(name) || strings.Contains(name, "..") || net.ParseIP(name) != nil {
		return fmt.Errorf("s3 bucket name %q must be 3-63 lowercase letters, digits, dots or hyphens: %w", name, ErrInvalidConfig)
	}
	return nil
}

// ParseURL parses "s3://bucket/prefix" into Bucket and Prefix. A non-empty prefix is returned
// ending in "/".
func ParseURL(u string) (bucket, prefix string, err error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", "", fmt.Errorf("s3 url %q: %v: %w", u, err, ErrInvalidConfig)
	}
	if p.Scheme != "s3" {
		return "", "", fmt.Errorf("s3 url %q must start with s3://: %w", u, ErrInvalidConfig)
	}
	if p.User != nil || p.Port() != "" || p.RawQuery != "" || p.Fragment != "" || p.Opaque != "" {
		return "", "", fmt.Errorf("s3 url %q may hold only a bucket and a prefix: %w", u, ErrInvalidConfig)
	}
	if err := checkBucketName(p.Host); err != nil {
		return "", "", err
	}
	prefix = normPrefix(strings.TrimPrefix(p.Path, "/"))
	if prefix != "" {
		if err := lake.CheckPrefix(prefix); err != nil {
			return "", "", fmt.Errorf("s3 url %q: %v: %w", u, err, ErrInvalidConfig)
		}
	}
	return p.Host, prefix, nil
}

func normPrefix(p string) string {
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}
