package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of three primaries (no replicas), each a
// throw-away redis-server, for one test.
type Cluster struct {
	URL    string // redis+cluster://… naming every node
	Prefix string // unique to the test
	Nodes  []*Server

	t testing.TB
}

// StartCluster starts three redis-server in cluster mode, joins them
// with redis-cli --cluster create and waits until the cluster serves
// every slot. It skips the test when redis-server or redis-cli is not
// installed (.ci/run installs both).
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (apt-get install redis-server): no cluster to test on", bin)
		}
	}
	c := &Cluster{t: t, Prefix: "talkbot-test:" + randomID() + ":"}
	var addrs []string
	for range 3 {
		bus, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		n := startOwn(t, c.Prefix, []string{
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000", "--cluster-port", strconv.Itoa(bus),
		})
		c.Nodes = append(c.Nodes, n)
		addrs = append(addrs, n.Addr())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, n := range c.Nodes {
		cl := redis.NewClient(&redis.Options{Addr: n.Addr()})
		for {
			info, err := cl.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3") {
				break
			}
			if ctx.Err() != nil {
				cl.Close()
				t.Fatalf("cluster node %s not ready: %v\n%s", n.Addr(), err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		cl.Close()
	}
	c.URL = "redis+cluster://" + strings.Join(addrs, ",")
	return c
}

// Client returns a cluster client, closed when the test ends.
func (c *Cluster) Client() *redis.ClusterClient {
	cl := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Nodes[0].Addr()}})
	c.t.Cleanup(func() { cl.Close() })
	return cl
}

// NodeOf returns the address of the node that serves key.
func (c *Cluster) NodeOf(ctx context.Context, key string) (string, error) {
	cl := redis.NewClient(&redis.Options{Addr: c.Nodes[0].Addr()})
	defer cl.Close()
	slot, err := cl.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		return "", fmt.Errorf("cluster keyslot: %w", err)
	}
	shards, err := cl.ClusterSlots(ctx).Result()
	if err != nil {
		return "", fmt.Errorf("cluster slots: %w", err)
	}
	for _, s := range shards {
		if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 0 {
			return s.Nodes[0].Addr, nil
		}
	}
	return "", fmt.Errorf("no node serves slot %d", slot)
}
