package integration

// Failover with grpc-go's xDS client: two xdsd replicas follow one config in a real etcd (one
// member, started here on loopback) and listen on the same port of two loopback addresses,
// 127.0.0.1 and ::1 (`serve --xds-address`). grpc-go has no address-list target, so the
// bootstrap names the replicas the way a deployment would: one DNS name that resolves to both.
// This machine's /etc/hosts maps localhost to 127.0.0.1 only, so the name is answered by a
// small DNS server in this test (on 127.0.0.1), which grpc-go's own DNS resolver asks through
// the authority of its target: dns://127.0.0.1:PORT/replicas.xdsd.test:P.
//
// The replica the client is connected to gets SIGKILL; the client must move to the other,
// which finds it up to date and sends it nothing, and no RPC to the backend may fail.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

const (
	failoverNodeID  = "grpc-go-failover"
	replicasName    = "replicas.xdsd.test."
	etcdStart       = 20 * time.Second
	failoverTimeout = 30 * time.Second // the client is SYNCED on the surviving replica
)

// serveDNS answers A and AAAA queries for replicasName with the two loopback addresses, and
// every other query with no records, over UDP on 127.0.0.1 until the test ends. Its port.
func serveDNS(t *testing.T) int {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("DNS server: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	name := dnsmessage.MustNewName(replicasName)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			var query dnsmessage.Message
			if query.Unpack(buf[:n]) != nil || len(query.Questions) != 1 {
				continue
			}
			q := query.Questions[0]
			answer := dnsmessage.Message{
				Header:    dnsmessage.Header{ID: query.ID, Response: true, Authoritative: true},
				Questions: query.Questions,
			}
			header := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 1}
			switch {
			case !strings.EqualFold(q.Name.String(), name.String()):
				answer.RCode = dnsmessage.RCodeNameError
			case q.Type == dnsmessage.TypeA:
				answer.Answers = []dnsmessage.Resource{{Header: header,
					Body: &dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}}}}
			case q.Type == dnsmessage.TypeAAAA:
				answer.Answers = []dnsmessage.Resource{{Header: header,
					Body: &dnsmessage.AAAAResource{AAAA: [16]byte{15: 1}}}}
			}
			if packed, err := answer.Pack(); err == nil {
				_, _ = conn.WriteTo(packed, from)
			}
		}
	}()
	return conn.LocalAddr().(*net.UDPAddr).Port
}

// startEtcd runs one etcd member on loopback until the test ends; its client URL's host:port.
func startEtcd(ctx context.Context, t *testing.T) string {
	t.Helper()
	binary, err := exec.LookPath("etcd")
	if err != nil {
		t.Fatalf("etcd (Debian's etcd-server) is not installed: %v", err)
	}
	dir := t.TempDir()
	client := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	peer := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	logFile, err := os.Create(filepath.Join(dir, "etcd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "--name", "m0", "--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "m0="+peer)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting etcd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
	})
	httpClient := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(etcdStart)
	for {
		if resp, err := httpClient.Get(client + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return strings.TrimPrefix(client, "http://")
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			log, _ := os.ReadFile(filepath.Join(dir, "etcd.log"))
			t.Fatalf("etcd did not answer /health within %v:\n%s", etcdStart, log)
		}
		time.Sleep(pollPause)
	}
}

// freePortOnBothLoopbacks is a port free a moment ago on 127.0.0.1 and on ::1.
func freePortOnBothLoopbacks(t *testing.T) int {
	t.Helper()
	for attempt := 0; attempt < 20; attempt++ {
		port := freePort(t)
		if lis, err := net.Listen("tcp", fmt.Sprintf("[::1]:%d", port)); err == nil {
			lis.Close()
			return port
		}
	}
	t.Fatal("no port free on both 127.0.0.1 and ::1")
	return 0
}

// syncedTypes is the node's status per type when every type a gRPC client uses is SYNCED.
func syncedTypes(ctx context.Context, d *xdsdProcess) map[string]typeStatus {
	node, _, err := d.node(ctx, failoverNodeID)
	if err != nil || node == nil || !allSynced(node) {
		return nil
	}
	types := map[string]typeStatus{}
	for _, ts := range node.Types {
		types[ts.TypeURL] = ts
	}
	return types
}

func TestGrpcGoFailover(t *testing.T) {
	binary := os.Getenv("XDSD_BINARY")
	if binary == "" {
		t.Fatal("XDSD_BINARY is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testBudget)
	defer cancel()

	portA := startBackend(t, "A")
	portB := startBackend(t, "B")
	url := fmt.Sprintf("etcd://%s/xdsd", startEtcd(ctx, t))
	configPath := filepath.Join(t.TempDir(), "xdsd.yaml")
	if err := os.WriteFile(configPath, []byte(configYAML(routeToCluster("backend-a"), portA, portB)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.CommandContext(ctx, binary, "apply", configPath, "--to", url).CombinedOutput(); err != nil {
		t.Fatalf("xdsd apply: %v\n%s", err, out)
	}

	xdsPort := freePortOnBothLoopbacks(t)
	var replicas []*xdsdProcess
	for _, address := range []string{"127.0.0.1", "::1"} {
		d := &xdsdProcess{
			binary:     binary,
			configPath: url,
			xdsPort:    xdsPort,
			httpPort:   freePort(t),
			logDir:     t.TempDir(),
			http:       &http.Client{Timeout: 2 * time.Second},
			extraFlags: []string{"--xds-address", address, "--drain-time=0s"},
		}
		t.Cleanup(func() {
			d.kill()
			if t.Failed() {
				t.Logf("log of the replica on %s:\n%s", address, d.log())
			}
		})
		if err := d.start(ctx); err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, d)
	}

	c := xdsClient(t, map[string]any{
		"xds_servers": []any{map[string]any{
			"server_uri":      fmt.Sprintf("dns://127.0.0.1:%d/%s:%d", serveDNS(t), strings.TrimSuffix(replicasName, "."), xdsPort),
			"channel_creds":   []any{map[string]any{"type": "insecure"}},
			"server_features": []any{"xds_v3"},
		}},
		"node": map[string]any{"id": failoverNodeID, "cluster": "test", "locality": map[string]any{}},
	})
	deadline := time.Now().Add(firstRPCTimeout)
	for {
		backend, err := c.call(ctx)
		if err == nil && backend == "A" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no RPC reached backend A within %v: last answer %q, %v", firstRPCTimeout, backend, err)
		}
		time.Sleep(pollPause)
	}
	loop := startRPCLoop(ctx, c, nil)

	// The replica the client is connected to, and what it ACKed there.
	first := -1
	var held map[string]typeStatus
	for deadline := time.Now().Add(10 * time.Second); first < 0; time.Sleep(pollPause) {
		for i, d := range replicas {
			if held = syncedTypes(ctx, d); held != nil {
				first = i
				break
			}
		}
		if first < 0 && time.Now().After(deadline) {
			t.Fatal("no replica shows the client SYNCED")
		}
	}
	callsBefore, _, _ := loop.tally.snapshot()

	replicas[first].kill() // SIGKILL
	killed := time.Now()
	other := replicas[1-first]
	var moved map[string]typeStatus
	for moved == nil {
		if time.Since(killed) > failoverTimeout {
			t.Fatalf("the client was not SYNCED on the other replica within %v", failoverTimeout)
		}
		time.Sleep(20 * time.Millisecond)
		moved = syncedTypes(ctx, other)
	}
	movedAfter := time.Since(killed)
	for _, typeURL := range clientTypes {
		if moved[typeURL].VersionSent != "" {
			t.Errorf("%s was sent again (version_sent %q) by the replica the client moved to", typeURL, moved[typeURL].VersionSent)
		}
		if moved[typeURL].VersionAcked != held[typeURL].VersionAcked {
			t.Errorf("%s: version_acked %q on the new replica, %q on the killed one", typeURL, moved[typeURL].VersionAcked, held[typeURL].VersionAcked)
		}
	}

	// RPCs go on past the move, and none failed at any moment.
	atMove := sum(loop.tally)
	for deadline := time.Now().Add(10 * time.Second); sum(loop.tally) < atMove+100; time.Sleep(pollPause) {
		if time.Now().After(deadline) {
			t.Fatalf("RPCs stalled after the move: %d since", sum(loop.tally)-atMove)
		}
	}
	counts, failures, errs := loop.stop()
	if failures != 0 {
		t.Errorf("%d RPCs failed during the failover: %v", failures, errs)
	}
	total := counts["A"] + failures
	if total <= callsBefore["A"] {
		t.Errorf("no RPC after the kill: %d before, %d in all", callsBefore["A"], total)
	}
	t.Logf("[failover] the replica on %s was killed; the client was SYNCED on the other %d ms later, "+
		"sent nothing; %d RPCs, %d failed", []string{"127.0.0.1", "::1"}[first],
		movedAfter.Milliseconds(), total, failures)
}

// sum is the number of RPCs the tally has seen, answered or failed.
func sum(t *tally) int {
	counts, failures, _ := t.snapshot()
	n := failures
	for _, c := range counts {
		n += c
	}
	return n
}
