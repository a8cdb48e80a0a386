package app

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMayWriteTellsMutations: a follower passes on to the leader exactly the requests that may
// write — any method but GET, HEAD and OPTIONS, and a GraphQL POST only when the operation it
// runs is a mutation — and the body reaches the door whole.
func TestMayWriteTellsMutations(t *testing.T) {
	for _, c := range []struct {
		name, method, path, body string
		write                    bool
	}{
		{"get", "GET", "/graphql?query={departments{code}}", "", false},
		{"query", "POST", "/graphql", `{"query":"{ departments { code } }"}`, false},
		{"mutation", "POST", "/graphql", `{"query":"mutation { putDepartment(code: \"A\", name: \"甲\", kind: \"处室\") { code } }"}`, true},
		{"named query beside a mutation", "POST", "/graphql", `{"query":"query Q { departments { code } } mutation M { putDepartment(code: \"A\", name: \"甲\", kind: \"处室\") { code } }","operationName":"Q"}`, false},
		{"named mutation beside a query", "POST", "/graphql", `{"query":"query Q { departments { code } } mutation M { putDepartment(code: \"A\", name: \"甲\", kind: \"处室\") { code } }","operationName":"M"}`, true},
		{"syntax error answered locally", "POST", "/graphql", `{"query":"mutation {"}`, false},
		{"not JSON goes to the leader", "POST", "/graphql", `mutation`, true},
		{"rest write", "POST", "/api/v1/principals", `{}`, true},
		{"delete", "DELETE", "/api/v1/anything", "", true},
		{"options", "OPTIONS", "/graphql", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
			write, err := mayWrite(r)
			require.NoError(t, err)
			assert.Equal(t, c.write, write)
			rest, _ := io.ReadAll(r.Body)
			assert.Equal(t, c.body, string(rest), "the door reads the body whole")
		})
	}
}

// TestClusterConfigRefusals: the settings of a cluster or query node are checked before anything
// opens, and a peer is read as id,raft address,HTTP address.
func TestClusterConfigRefusals(t *testing.T) {
	p, err := ParseClusterPeer("n1, 10.0.0.1:7000 ,10.0.0.1:8080")
	require.NoError(t, err)
	assert.Equal(t, ClusterPeer{ID: "n1", RaftAddr: "10.0.0.1:7000", HTTP: "http://10.0.0.1:8080"}, p)
	for _, bad := range []string{"n1,10.0.0.1:7000", "n1,10.0.0.1,10.0.0.1:8080", ",10.0.0.1:7000,10.0.0.1:8080", "n1,10.0.0.1:7000,ftp://x"} {
		_, err := ParseClusterPeer(bad)
		assert.Error(t, err, bad)
	}
	peers := func(n int) []ClusterPeer {
		var out []ClusterPeer
		for i := range n {
			out = append(out, ClusterPeer{ID: string(rune('a' + i)), RaftAddr: "127.0.0.1:700" + string(rune('0'+i)), HTTP: "http://127.0.0.1:800" + string(rune('0'+i))})
		}
		return out
	}
	ok := ClusterConfig{Enabled: true, NodeID: "a", RaftAddr: "127.0.0.1:7000", Peers: peers(3), MinIndexWait: DefaultMinIndexWait}
	require.NoError(t, ok.validate())
	for name, c := range map[string]ClusterConfig{
		"two peers":         {Enabled: true, NodeID: "a", RaftAddr: "127.0.0.1:7000", Peers: peers(2), MinIndexWait: DefaultMinIndexWait},
		"not among peers":   {Enabled: true, NodeID: "z", RaftAddr: "127.0.0.1:7000", Peers: peers(3), MinIndexWait: DefaultMinIndexWait},
		"no node id":        {Enabled: true, RaftAddr: "127.0.0.1:7000", Peers: peers(3), MinIndexWait: DefaultMinIndexWait},
		"query and cluster": {Enabled: true, Query: true, NodeID: "a", RaftAddr: "127.0.0.1:7000", Peers: peers(3), FollowToken: "x", MinIndexWait: DefaultMinIndexWait},
		"query, no token":   {Query: true, Peers: peers(3), MinIndexWait: DefaultMinIndexWait},
		"query, no peers":   {Query: true, FollowToken: "x", MinIndexWait: DefaultMinIndexWait},
	} {
		assert.Error(t, c.validate(), name)
	}
	q := ClusterConfig{Query: true, Peers: peers(3), FollowToken: "x", MinIndexWait: DefaultMinIndexWait}
	assert.NoError(t, q.validate())
	assert.Equal(t, "127.0.0.1:7000", ok.catalog().Advertise())
	behind := ok
	behind.RaftAddr = "0.0.0.0:7000"
	assert.Equal(t, "127.0.0.1:7000", behind.catalog().Advertise(), "the peers reach a node at its own entry's address")
}
