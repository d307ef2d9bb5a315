// The go-control-plane peer of the xdsd benchmarks: go-control-plane's SnapshotCache (ADS mode,
// one snapshot for every node, a version per type so that an endpoint change re-sends only
// endpoints) and its xDS server, serving the bench workload (workload.go), with callbacks that
// timestamp every ACK and the same stdin control commands and output lines as the C++ bench
// servers (bench/common/control.h).
//
//	go build -o /tmp/gcp_bench_server . && /tmp/gcp_bench_server --port 18002 --clusters 10000
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	discoverygrpc "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"github.com/envoyproxy/go-control-plane/pkg/cache/types"
	"github.com/envoyproxy/go-control-plane/pkg/cache/v3"
	"github.com/envoyproxy/go-control-plane/pkg/log"
	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"github.com/envoyproxy/go-control-plane/pkg/server/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// stderrLogger is go-control-plane's log.Logger on stderr, for --debug.
type stderrLogger struct{}

func (stderrLogger) Debugf(f string, a ...any) { fmt.Fprintf(os.Stderr, "debug: "+f+"\n", a...) }
func (stderrLogger) Infof(f string, a ...any)  { fmt.Fprintf(os.Stderr, "info: "+f+"\n", a...) }
func (stderrLogger) Warnf(f string, a ...any)  { fmt.Fprintf(os.Stderr, "warn: "+f+"\n", a...) }
func (stderrLogger) Errorf(f string, a ...any) { fmt.Fprintf(os.Stderr, "error: "+f+"\n", a...) }

type constHash struct{}

func (constHash) ID(*core.Node) string { return "bench" }

type nodeState struct {
	acked       map[string]ackRecord
	syncedEpoch uint64
}

type ackRecord struct {
	version string
	at      time.Time
}

// tracker mirrors AckTracker in bench/common/control.cc.
type tracker struct {
	mu         sync.Mutex
	cond       *sync.Cond
	epoch      uint64
	targets    map[string]string
	epochStart time.Time
	initial    bool
	started    bool
	nodes      map[string]*nodeState
	latencies  []float64
	synced     int
}

func newTracker() *tracker {
	t := &tracker{epoch: 1, initial: true, nodes: map[string]*nodeState{}}
	t.cond = sync.NewCond(&t.mu)
	return t
}

func counted(id string) bool { return strings.HasPrefix(id, "envoy-") }

func (t *tracker) syncedLocked(n *nodeState) bool {
	if n.syncedEpoch == t.epoch {
		return false
	}
	for typ, v := range t.targets {
		a, ok := n.acked[typ]
		if !ok || a.version != v {
			return false
		}
	}
	return true
}

func (t *tracker) markLocked(n *nodeState) {
	n.syncedEpoch = t.epoch
	t.synced++
	last := time.Time{}
	for typ := range t.targets {
		if a := n.acked[typ]; a.at.After(last) {
			last = a.at
		}
	}
	ms := float64(last.Sub(t.epochStart).Microseconds()) / 1000
	if ms < 0 {
		ms = 0
	}
	t.latencies = append(t.latencies, ms)
	t.cond.Broadcast()
}

func (t *tracker) publish(targets map[string]string, start time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.targets != nil {
		t.epoch++
		t.initial = false
		t.epochStart = start
	}
	t.targets = targets
	t.synced = 0
	t.latencies = nil
	for _, n := range t.nodes {
		if t.syncedLocked(n) {
			t.markLocked(n)
		}
	}
}

func (t *tracker) onStreamOpen() {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.initial && !t.started {
		t.started = true
		t.epochStart = now
	}
}

func (t *tracker) onAck(id, typ, version string) {
	if !counted(id) {
		return
	}
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.nodes[id]
	if n == nil {
		n = &nodeState{acked: map[string]ackRecord{}}
		t.nodes[id] = n
	}
	n.acked[typ] = ackRecord{version, now}
	if t.targets != nil && t.syncedLocked(n) {
		t.markLocked(n)
	}
}

func (t *tracker) onClosed(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.nodes, id)
}

func (t *tracker) waitSynced(n int, timeout time.Duration) (int, float64, bool) {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		t.mu.Lock()
		t.cond.Broadcast()
		t.mu.Unlock()
	})
	defer timer.Stop()
	t.mu.Lock()
	defer t.mu.Unlock()
	for t.synced < n && time.Now().Before(deadline) {
		t.cond.Wait()
	}
	max := 0.0
	for _, l := range t.latencies {
		if l > max {
			max = l
		}
	}
	return t.synced, max, t.synced >= n
}

func (t *tracker) currentLatencies() []float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]float64(nil), t.latencies...)
}

func (t *tracker) nodeCount() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.nodes)
}

func percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	v := append([]float64(nil), values...)
	sort.Float64s(v)
	i := int(p/100*float64(len(v)-1) + 0.5)
	if i >= len(v) {
		i = len(v) - 1
	}
	return v[i]
}

func cpuSeconds() float64 {
	var u syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return float64(u.Utime.Sec+u.Stime.Sec) + float64(u.Utime.Usec+u.Stime.Usec)/1e6
}

func statusMb(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, field+":") {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, field+":")), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

// workload holds the resources and publishes snapshots with a version per type.
type workload struct {
	cache       cache.SnapshotCache
	clusters    int
	endpoints   int
	generations []uint64
	cds, lds, rds []types.Resource
	eds         []types.Resource
	edsVersion  uint64
}

func (w *workload) publish() map[string]string {
	snap := &cache.Snapshot{}
	snap.Resources[types.Cluster] = cache.NewResources("cds-1", w.cds)
	snap.Resources[types.Endpoint] = cache.NewResources(fmt.Sprintf("eds-%d", w.edsVersion), append([]types.Resource(nil), w.eds...))
	snap.Resources[types.Listener] = cache.NewResources("lds-1", w.lds)
	snap.Resources[types.Route] = cache.NewResources("rds-1", w.rds)
	if err := w.cache.SetSnapshot(context.Background(), "bench", snap); err != nil {
		panic(err)
	}
	return map[string]string{
		resourcev3.ClusterType:  "cds-1",
		resourcev3.EndpointType: fmt.Sprintf("eds-%d", w.edsVersion),
		resourcev3.ListenerType: "lds-1",
		resourcev3.RouteType:    "rds-1",
	}
}

func (w *workload) change(clusters []int) map[string]string {
	for _, i := range clusters {
		w.generations[i]++
		w.eds[i] = makeEndpoints(i, w.endpoints, w.generations[i])
	}
	w.edsVersion++
	return w.publish()
}

func reply(s string) { fmt.Println(s) }

func main() {
	port := flag.Int("port", 18002, "port")
	clusters := flag.Int("clusters", 10000, "clusters")
	endpoints := flag.Int("endpoints", 10, "endpoints per cluster")
	listeners := flag.Int("listeners", 10, "listeners (and route configurations)")
	debug := flag.Bool("debug", false, "log go-control-plane's debug output on stderr")
	flag.Parse()

	t := newTracker()
	start := time.Now()
	var logger log.Logger
	if *debug {
		logger = stderrLogger{}
	}
	snapshots := cache.NewSnapshotCache(true, constHash{}, logger)
	w := &workload{cache: snapshots, clusters: *clusters, endpoints: *endpoints,
		generations: make([]uint64, *clusters), edsVersion: 1}
	for i := 0; i < *clusters; i++ {
		w.cds = append(w.cds, makeCluster(i))
		w.eds = append(w.eds, makeEndpoints(i, *endpoints, 0))
	}
	for i := 0; i < *listeners; i++ {
		w.lds = append(w.lds, makeListener(i))
		w.rds = append(w.rds, makeRoute(i, *clusters))
	}
	t.publish(w.publish(), time.Now())
	buildMs := float64(time.Since(start).Microseconds()) / 1000

	var streamsMu sync.Mutex
	streamNodes := map[int64]string{}
	open := 0
	nodeOf := func(id int64, node *core.Node) string {
		streamsMu.Lock()
		defer streamsMu.Unlock()
		if node != nil && node.Id != "" {
			streamNodes[id] = node.Id
		}
		return streamNodes[id]
	}
	callbacks := server.CallbackFuncs{
		StreamOpenFunc: func(ctx context.Context, id int64, typ string) error {
			if *debug {
				fmt.Fprintf(os.Stderr, "open stream=%d type=%q\n", id, typ)
			}
			t.onStreamOpen()
			streamsMu.Lock()
			open++
			streamsMu.Unlock()
			return nil
		},
		StreamClosedFunc: func(id int64, node *core.Node) {
			streamsMu.Lock()
			nodeID := streamNodes[id]
			delete(streamNodes, id)
			open--
			streamsMu.Unlock()
			t.onClosed(nodeID)
		},
		DeltaStreamOpenFunc: func(ctx context.Context, id int64, typ string) error {
			streamsMu.Lock()
			open++
			streamsMu.Unlock()
			return nil
		},
		DeltaStreamClosedFunc: func(id int64, node *core.Node) {
			streamsMu.Lock()
			delete(streamNodes, id)
			open--
			streamsMu.Unlock()
		},
		StreamRequestFunc: func(id int64, req *discovery.DiscoveryRequest) error {
			if *debug {
				fmt.Fprintf(os.Stderr, "request stream=%d type=%s version=%q nonce=%q names=%d\n", id, req.TypeUrl, req.VersionInfo, req.ResponseNonce, len(req.ResourceNames))
			}
			nodeID := nodeOf(id, req.Node)
			if req.ResponseNonce != "" && req.ErrorDetail == nil {
				t.onAck(nodeID, req.TypeUrl, req.VersionInfo)
			}
			return nil
		},
	}
	srv := server.NewServer(context.Background(), snapshots, callbacks)
	grpcServer := grpc.NewServer(
		grpc.MaxRecvMsgSize(64<<20),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 10 * time.Second, PermitWithoutStream: true}),
	)
	discoverygrpc.RegisterAggregatedDiscoveryServiceServer(grpcServer, srv)
	lis, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	go grpcServer.Serve(lis)
	reply(fmt.Sprintf("ready port=%d build_ms=%.3f", *port, buildMs))

	openStreams := func() int {
		streamsMu.Lock()
		defer streamsMu.Unlock()
		return open
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		arg := func(i int, def float64) float64 {
			if i < len(f) {
				var v float64
				fmt.Sscanf(f[i], "%g", &v)
				return v
			}
			return def
		}
		switch f[0] {
		case "quit":
			grpcServer.Stop()
			return
		case "wait-synced":
			n, ms, ok := t.waitSynced(int(arg(1, 0)), time.Duration(arg(2, 60))*time.Second)
			okS := "0"
			if ok {
				okS = "1"
			}
			reply(fmt.Sprintf("synced n=%d want=%d ms=%.3f ok=%s", n, int(arg(1, 0)), ms, okS))
		case "publish-small-change":
			s := time.Now()
			t.publish(w.change([]int{0}), s)
			reply("published")
		case "w2":
			updates, n, timeout := int(arg(1, 10)), int(arg(2, 0)), arg(3, 60)
			var perNode, all []float64
			failed := 0
			cpu0 := cpuSeconds()
			streams := openStreams()
			for u := 0; u < updates; u++ {
				s := time.Now()
				t.publish(w.change([]int{0}), s)
				_, ms, ok := t.waitSynced(n, time.Duration(timeout)*time.Second)
				if !ok {
					failed++
				}
				perNode = append(perNode, t.currentLatencies()...)
				all = append(all, ms)
			}
			cpuUs := (cpuSeconds() - cpu0) * 1e6
			per := 0.0
			if streams > 0 {
				per = cpuUs / float64(streams*updates)
			}
			reply(fmt.Sprintf("w2 updates=%d failed=%d p50_ms=%.3f p99_ms=%.3f max_ms=%.3f all_p50_ms=%.3f all_p99_ms=%.3f all_max_ms=%.3f cpu_us_per_stream_update=%.3f",
				updates, failed, percentile(perNode, 50), percentile(perNode, 99), percentile(perNode, 100),
				percentile(all, 50), percentile(all, 99), percentile(all, 100), per))
		case "churn":
			seconds, hz, percent, n := arg(1, 60), arg(2, 10), arg(3, 1), int(arg(4, 0))
			count := int(float64(*clusters) * percent / 100)
			if count < 1 {
				count = 1
			}
			rssStart, rssMax := statusMb("VmRSS"), statusMb("VmRSS")
			cpu0 := cpuSeconds()
			begin := time.Now()
			period := time.Duration(float64(time.Second) / hz)
			next := begin
			nextSample := begin
			samples := []string{}
			var tick uint64
			for time.Since(begin) < time.Duration(seconds)*time.Second {
				var cs []int
				for k := 0; k < count; k++ {
					cs = append(cs, churnCluster(tick, count, k, *clusters))
				}
				s := time.Now()
				t.publish(w.change(cs), s)
				tick++
				rss := statusMb("VmRSS")
				if rss > rssMax {
					rssMax = rss
				}
				if !time.Now().Before(nextSample) {
					samples = append(samples, fmt.Sprintf("%.3f", rss))
					nextSample = nextSample.Add(10 * time.Second)
				}
				next = next.Add(period)
				time.Sleep(time.Until(next))
			}
			synced, ms, _ := t.waitSynced(n, 60*time.Second)
			reply(fmt.Sprintf("churn publishes=%d seconds=%d rss_start_mb=%.3f rss_end_mb=%.3f rss_max_mb=%.3f converge_ms=%.3f converged=%d cpu_s=%.3f rss_samples_mb=%s",
				tick, int(seconds), rssStart, statusMb("VmRSS"), rssMax, ms, synced, cpuSeconds()-cpu0, strings.Join(samples, ",")))
		case "stats":
			reply(fmt.Sprintf("stats streams=%d nodes=%d rss_mb=%.3f hwm_mb=%.3f cpu_s=%.3f",
				openStreams(), t.nodeCount(), statusMb("VmRSS"), statusMb("VmHWM"), cpuSeconds()))
		default:
			reply("error unknown command " + f[0])
		}
	}
	grpcServer.Stop()
}
