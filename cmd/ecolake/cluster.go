package main

import (
	"flag"
	"fmt"

	"github.com/cqeco/ecolake/internal/app"
)

// clusterFlags adds the settings of a clustered catalogue (serve --cluster): this node's id and
// raft address, and every voter with its HTTP address (writes sent to a follower go there).
func clusterFlags(fs *flag.FlagSet, cfg *app.Config) {
	c := &cfg.Cluster
	fs.BoolVar(&c.Enabled, "cluster", c.Enabled, "以目录集群节点运行: 目录库经 raft 在各节点间复制 (需 --cluster-node-id、--cluster-raft-addr 与全部 --cluster-peer, 数据湖须为共享的 S3)")
	fs.StringVar(&c.NodeID, "cluster-node-id", c.NodeID, "本节点在集群中的`名称`, 须是某个 --cluster-peer 的节点名")
	fs.StringVar(&c.RaftAddr, "cluster-raft-addr", c.RaftAddr, "本节点 raft 复制的监听`地址` (主机:端口), 其他节点按此地址连接; 只应在内网可达")
	fs.Func("cluster-peer", "集群的一个投票`节点`: 节点名,raft地址,HTTP地址 (如 n1,10.0.0.1:7000,10.0.0.1:8080); 可重复, 含本节点", func(v string) error {
		p, err := app.ParseClusterPeer(v)
		if err != nil {
			return err
		}
		c.Peers = append(c.Peers, p)
		return nil
	})
	fs.Func("role", "`角色`: node 为完整节点 (默认), query 为无状态查询节点: 从 --cluster-peer 所列集群节点跟随目录 (只在内存), 回答查询, 写入转交集群", func(v string) error {
		switch v {
		case "node", "":
			c.Query = false
		case "query":
			c.Query = true
		default:
			return fmt.Errorf("应为 node 或 query, 而不是 %q", v)
		}
		return nil
	})
	fs.Func("cluster-token", "查询节点跟随目录所用的`令牌` (可见核心数据的系统管理员; 建议改用环境变量 ECOLAKE_CLUSTER_TOKEN)", func(v string) error {
		c.FollowToken = v
		return nil
	})
	fs.DurationVar(&c.MinIndexWait, "cluster-min-index-wait", c.MinIndexWait, "带 X-Ecolake-Min-Index 的读请求等待本节点追上该版本的最长`时长`, 超时答 503")
}
