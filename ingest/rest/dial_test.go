package rest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cqeco/ecolake/ingest"
)

func TestRefuseAddress(t *testing.T) {
	for addr, refused := range map[string]bool{
		"169.254.169.254:80":          true, // a cloud instance's metadata service
		"[fe80::1]:443":               true,
		"0.0.0.0:80":                  true,
		"[::]:80":                     true,
		"224.0.0.1:80":                true,
		"[::ffff:169.254.169.254]:80": true,
		"127.0.0.1:8080":              false, // loopback: tests, a local gateway
		"10.12.3.40:443":              false, // the government network
		"192.168.1.9:80":              false,
		"[2001:db8::1]:443":           false,
	} {
		err := refuseAddress("tcp", addr, nil)
		assert.Equal(t, refused, errors.Is(err, errAddressRefused), addr)
	}
}

// A pull configured to fetch the metadata service fails at once, saying why, without retries.
func TestMetadataAddressIsRefused(t *testing.T) {
	src, err := ingest.OpenSource("rest", map[string]string{
		"url": "http://169.254.169.254/latest/meta-data", "mapping": "code=$.a", "watermark_field": "code",
		"pagination": "none", "max_retries": "5", "retry_base": "1s",
	})
	require.NoError(t, err)
	st, err := src.Read(context.Background(), "")
	if err == nil {
		for err == nil { // the header, then the first page's fetch
			_, _, err = st.Next()
		}
		_ = st.Close()
	}
	require.ErrorIs(t, err, ingest.ErrSourceFailed)
	assert.Contains(t, err.Error(), "拒绝连接")
	assert.NotContains(t, err.Error(), "重试", "refused at once, not retried")
}
