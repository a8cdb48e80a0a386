package local

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMkdirDurable(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "tables", "t", "data")
	require.NoError(t, mkdirDurable(root, deep))
	st, err := os.Stat(deep)
	require.NoError(t, err)
	require.True(t, st.IsDir())
	require.NoError(t, mkdirDurable(root, deep), "existing folders are fine")
	require.NoError(t, mkdirDurable(root, filepath.Join(root, "tables", "u")), "a sibling under an existing parent")
	require.DirExists(t, filepath.Join(root, "tables", "u"))
	require.Error(t, mkdirDurable(root, filepath.Join(filepath.Dir(root), "elsewhere")), "outside the bucket")
}
