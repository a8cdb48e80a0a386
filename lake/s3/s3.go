// Package s3 is a lake bucket in any S3-compatible object store (MinIO on premises), via
// minio-go. PutObject is atomic, so uploads need no temp objects.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/cqeco/ecolake/lake"
)

// Bucket is a lake.Bucket in an S3 bucket, optionally under a key prefix.
type Bucket struct {
	client *minio.Client
	bucket string
	prefix string        // "" or ending in "/"
	stall  time.Duration // Config.StallTimeout
}

var _ lake.Bucket = (*Bucket)(nil)

// New connects to the bucket, creating it if missing.
func New(ctx context.Context, cfg Config) (*Bucket, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	client, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	b := &Bucket{client: client, bucket: cfg.Bucket, prefix: normPrefix(cfg.Prefix), stall: cfg.stallTimeout()}
	wctx, w := watch(ctx, b.stall)
	ok, err := client.BucketExists(wctx, cfg.Bucket)
	w.stop()
	if err != nil {
		return nil, fmt.Errorf("s3 bucket %s: %w", cfg.Bucket, mapWatched(ctx, w, err))
	}
	if !ok {
		err := client.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if code := minio.ToErrorResponse(err).Code; err != nil && code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
			return nil, fmt.Errorf("create s3 bucket %s: %w", cfg.Bucket, err)
		}
	}
	return b, nil
}

// newClient is a minio-go client of cfg's endpoint with the bounds below.
func newClient(cfg Config) (*minio.Client, error) {
	tr, err := minio.DefaultTransport(cfg.Secure)
	if err != nil {
		return nil, fmt.Errorf("s3 transport: %w", err)
	}
	// Bounds on a store that is down or hung, so that a request fails within about a minute
	// (lake.ErrUnavailable) instead of minio-go's default of ten attempts of up to a minute each;
	// watchedTransport lets an operation's watchdog see whether bytes still move (watchdog.go).
	tr.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = responseTimeout
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, string(cfg.SecretKey), ""),
		Secure:     cfg.Secure,
		Region:     cfg.Region,
		Transport:  watchedTransport{base: tr},
		MaxRetries: maxAttempts,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 client %s: %w", cfg.Endpoint, err)
	}
	return client, nil
}

// Name is the bucket's s3:// URL.
func (b *Bucket) Name() string { return "s3://" + b.bucket + "/" + b.prefix }

// Close releases nothing; idle connections are reused by the shared transport.
func (b *Bucket) Close() error { return nil }

func (b *Bucket) object(key string) (string, error) {
	if err := lake.CheckKey(key); err != nil {
		return "", err
	}
	return b.prefix + key, nil
}

// Bounds of one request to the store (see New).
const (
	dialTimeout     = 5 * time.Second
	responseTimeout = 20 * time.Second
	maxAttempts     = 3
)

// mapErr turns a missing object into lake.ErrNotFound, a store that did not answer (refused or
// dropped connections, timeouts, 5xx answers such as a server still starting) into
// lake.ErrUnavailable, and keeps context errors recognisable.
func mapErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%v: %w", err, ctxErr)
	}
	resp := minio.ToErrorResponse(err)
	if resp.Code == "NoSuchKey" || resp.Code == "NoSuchObject" || resp.StatusCode == http.StatusNotFound && resp.Code != "NoSuchBucket" {
		return lake.ErrNotFound
	}
	if unavailable(ctx, err, resp.StatusCode) {
		return fmt.Errorf("%w: %w", lake.ErrUnavailable, err)
	}
	return err
}

// mapWatched is mapErr for an operation watched by w: a stall is reported as ErrStalled.
func mapWatched(ctx context.Context, w *watchdog, err error) error {
	if stall := w.err(); stall != nil && ctx.Err() == nil {
		return stall
	}
	return mapErr(ctx, err)
}

// watch starts the stall watchdog of one operation; the caller stops it.
func (b *Bucket) watch(ctx context.Context) (context.Context, *watchdog) {
	return watch(ctx, b.stall)
}

// unavailable reports whether err says the store did not answer, rather than refused the request.
func unavailable(ctx context.Context, err error, status int) bool {
	if ctx.Err() != nil {
		return false // the caller gave up; not the store's fault
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || status >= 500
}

// Upload stores r under key with one PutObject (multipart for large or unknown sizes), which
// becomes visible whole or not at all. A size of -1 means unknown; otherwise the bytes must match.
func (b *Bucket) Upload(ctx context.Context, key string, r io.Reader, size int64) error {
	obj, err := b.object(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	wctx, w := b.watch(ctx)
	defer w.stop()
	body := lake.ContextReader(wctx, r)
	if size >= 0 {
		body = &exactReader{r: body, remaining: size}
	}
	_, err = b.client.PutObject(wctx, b.bucket, obj, body, size, minio.PutObjectOptions{
		ContentType: "application/octet-stream",
	})
	if err != nil {
		if errors.Is(err, lake.ErrSize) {
			return fmt.Errorf("upload %s: declared %d bytes: %w", key, size, lake.ErrSize)
		}
		return fmt.Errorf("upload %s: %w", key, mapWatched(ctx, w, err))
	}
	return nil
}

// Get opens the object for reading with one GET request, so the body is one whole version of the
// object even while it is being overwritten (minio.Object would re-request with If-Match).
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	obj, err := b.object(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	wctx, w := b.watch(ctx)
	body, _, _, err := minio.Core{Client: b.client}.GetObject(wctx, b.bucket, obj, minio.GetObjectOptions{})
	if err != nil {
		w.stop()
		return nil, fmt.Errorf("get %s: %w", key, mapWatched(ctx, w, err))
	}
	return &watchedBody{rc: body, w: w, key: key}, nil
}

// Attributes returns the object's size and modification time.
func (b *Bucket) Attributes(ctx context.Context, key string) (lake.ObjectAttrs, error) {
	obj, err := b.object(key)
	if err != nil {
		return lake.ObjectAttrs{}, err
	}
	if err := ctx.Err(); err != nil {
		return lake.ObjectAttrs{}, fmt.Errorf("attributes %s: %w", key, err)
	}
	wctx, w := b.watch(ctx)
	defer w.stop()
	info, err := b.client.StatObject(wctx, b.bucket, obj, minio.StatObjectOptions{})
	if err != nil {
		return lake.ObjectAttrs{}, fmt.Errorf("attributes %s: %w", key, mapWatched(ctx, w, err))
	}
	return lake.ObjectAttrs{Size: info.Size, LastModified: info.LastModified}, nil
}

// Delete removes the object; S3 treats an absent object as deleted.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	obj, err := b.object(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	wctx, w := b.watch(ctx)
	defer w.stop()
	if err := b.client.RemoveObject(wctx, b.bucket, obj, minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(mapErr(ctx, err), lake.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("delete %s: %w", key, mapWatched(ctx, w, err))
	}
	return nil
}

// Iter calls fn for every key under prefix in lexical order, as S3 lists them. The watchdog
// counts only the listing's requests, not the time fn takes.
func (b *Bucket) Iter(ctx context.Context, prefix string, fn func(key string) error) error {
	if err := lake.CheckPrefix(prefix); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("iter %s: %w", prefix, err)
	}
	wctx, w := b.watch(ctx)
	defer w.stop()
	opts := minio.ListObjectsOptions{Prefix: b.prefix + prefix, Recursive: true}
	for info := range b.client.ListObjectsIter(wctx, b.bucket, opts) {
		if info.Err != nil {
			return fmt.Errorf("iter %s: %w", prefix, mapWatched(ctx, w, info.Err))
		}
		key, ok := strings.CutPrefix(info.Key, b.prefix)
		if !ok || strings.HasSuffix(key, "/") { // folder markers written by other tools
			continue
		}
		if err := fn(key); err != nil {
			return err
		}
	}
	return nil
}

// exactReader fails unless r yields exactly the declared number of bytes. minio-go reads only the
// declared size, so without it a longer body would be silently cut. The last bytes are held back
// until the source has been checked for more, because io.ReadFull drops an error that arrives
// together with the bytes it asked for.
type exactReader struct {
	r         io.Reader
	remaining int64
	extra     [1]byte
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.remaining == 0 {
		if n, _ := io.ReadFull(e.r, e.extra[:]); n > 0 {
			return 0, lake.ErrSize
		}
		return 0, io.EOF
	}
	if int64(len(p)) > e.remaining {
		p = p[:e.remaining]
	}
	n, err := e.r.Read(p)
	e.remaining -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		return n, err
	}
	if e.remaining == 0 {
		if m, _ := io.ReadFull(e.r, e.extra[:]); m > 0 {
			return 0, lake.ErrSize
		}
		return n, io.EOF
	}
	if errors.Is(err, io.EOF) {
		return n, lake.ErrSize
	}
	return n, err
}
