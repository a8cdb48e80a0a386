// Package local is a lake bucket in a local directory. Objects are plain files under the root, so
// the read-through cache hands their paths to DuckDB directly.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/cqeco/ecolake/lake"
)

// tmpPrefix marks files being uploaded; keys may not use it so a listing never shows them.
const tmpPrefix = ".tmp-"

// Bucket is a lake.Bucket rooted at a local directory.
type Bucket struct {
	root string
}

var (
	_ lake.Bucket      = (*Bucket)(nil)
	_ lake.LocalPather = (*Bucket)(nil)
)

// New opens (creating) a bucket rooted at dir.
func New(dir string) (*Bucket, error) {
	if dir == "" {
		return nil, errors.New("local bucket: empty directory")
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local bucket %s: %w", dir, err)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("local bucket: %w", err)
	}
	return &Bucket{root: root}, nil
}

// Name is the bucket's file:// URL.
func (b *Bucket) Name() string { return "file://" + filepath.ToSlash(b.root) }

// Close releases nothing; the bucket holds no resources.
func (b *Bucket) Close() error { return nil }

func (b *Bucket) path(key string) (string, error) {
	if err := lake.CheckKey(key); err != nil {
		return "", err
	}
	for _, seg := range strings.Split(key, "/") {
		if strings.HasPrefix(seg, tmpPrefix) {
			return "", fmt.Errorf("key %q uses the reserved %q prefix: %w", key, tmpPrefix, lake.ErrInvalidKey)
		}
	}
	return filepath.Join(b.root, filepath.FromSlash(key)), nil
}

// LocalPath returns the file that holds key, whether or not it exists yet.
func (b *Bucket) LocalPath(key string) (string, bool) {
	p, err := b.path(key)
	return p, err == nil
}

// Upload writes r to a temp file beside the target, fsyncs it, renames it into place and fsyncs
// the directory, so a reader sees the whole object or none of it and a crash leaves no torn file.
// A size of -1 means unknown; otherwise the bytes must match it (lake.ErrSize).
func (b *Bucket) Upload(ctx context.Context, key string, r io.Reader, size int64) (err error) {
	p, err := b.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	dir := filepath.Dir(p)
	if err := mkdirDurable(b.root, dir); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(dir, tmpPrefix+filepath.Base(p)+".*")
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, lake.ContextReader(ctx, r))
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("upload %s: read %d bytes, declared %d: %w", key, n, size, lake.ErrSize)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	return nil
}

// mkdirDurable creates the folders between root and dir that are missing, fsyncing each new
// folder's parent, so that a file renamed into a new folder survives a power loss together with
// the folder that holds it.
func mkdirDurable(root, dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("folder %s is outside the bucket %s", dir, root)
	}
	cur := root
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		next := filepath.Join(cur, part)
		err := os.Mkdir(next, 0o755)
		switch {
		case err == nil:
			if err := syncDir(cur); err != nil {
				return err
			}
		case !errors.Is(err, fs.ErrExist):
			return err
		}
		cur = next
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Get opens the object for reading.
func (b *Bucket) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := b.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, mapErr(err))
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("get %s: %w", key, lake.ErrNotFound)
	}
	return f, nil
}

// Attributes returns the object's size and modification time.
func (b *Bucket) Attributes(ctx context.Context, key string) (lake.ObjectAttrs, error) {
	p, err := b.path(key)
	if err != nil {
		return lake.ObjectAttrs{}, err
	}
	if err := ctx.Err(); err != nil {
		return lake.ObjectAttrs{}, fmt.Errorf("attributes %s: %w", key, err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return lake.ObjectAttrs{}, fmt.Errorf("attributes %s: %w", key, mapErr(err))
	}
	if !fi.Mode().IsRegular() {
		return lake.ObjectAttrs{}, fmt.Errorf("attributes %s: %w", key, lake.ErrNotFound)
	}
	return lake.ObjectAttrs{Size: fi.Size(), LastModified: fi.ModTime()}, nil
}

// Delete removes the object; an absent object is not an error. Empty folders are left behind
// because removing them would race with concurrent uploads into them.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	p, err := b.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// Iter calls fn for every key under prefix in lexical order. A folder walk is not lexical by key
// ("a/b" sorts after "a.txt"), so the keys are collected and sorted first.
func (b *Bucket) Iter(ctx context.Context, prefix string, fn func(key string) error) error {
	if err := lake.CheckPrefix(prefix); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("iter %s: %w", prefix, err)
	}
	// Walk the deepest folder the prefix names completely.
	start := b.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		start = filepath.Join(b.root, filepath.FromSlash(prefix[:i]))
	}
	var keys []string
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), tmpPrefix) {
			return nil
		}
		rel, err := filepath.Rel(b.root, p)
		if err != nil {
			return err
		}
		if key := filepath.ToSlash(rel); strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("iter %s: %w", prefix, err)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("iter %s: %w", prefix, err)
		}
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}

func mapErr(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, os.ErrInvalid) {
		return lake.ErrNotFound
	}
	if errors.Is(err, syscall.ENOTDIR) { // "a/b" where "a" is a file
		return lake.ErrNotFound
	}
	return err
}
