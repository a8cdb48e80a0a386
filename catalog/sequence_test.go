package catalog

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSplitResourceCodeAgreesWithTheRule: the split used on every write reads a code exactly as
// resourceCodeRE does.
func TestSplitResourceCodeAgreesWithTheRule(t *testing.T) {
	for _, code := range []string{
		"0101/000001", "01/1", "01010101/000000000123", "010101010/1", "0/1", "0101/", "/000001",
		"0101/0000000000001", "0101-000001", "0101/00a001", "0101/000001/2", "０１/1", "", "0101//1",
	} {
		cat, n, ok := splitResourceCode(code)
		m := resourceCodeRE.FindStringSubmatch(code)
		if !assert.Equal(t, m != nil, ok, code) || m == nil {
			continue
		}
		want, _ := strconv.ParseUint(m[2], 10, 64)
		assert.Equal(t, m[1], cat, code)
		assert.Equal(t, want, n, code)
	}
}
