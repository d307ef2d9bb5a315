package integration

// grpc-go's xDS client reaching xdsd over mutual TLS with the "tls" channel creds of its
// bootstrap (gRFC A65): a private CA and certificates with SPIFFE URI SANs are made with the
// openssl command; xdsd's authorization section lets the client's identity claim its node and
// no other.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/xds"
)

const (
	mtlsNodeID   = "grpc-go-mtls"
	mtlsIdentity = "spiffe://example.org/ns/grpc/sa/client"
)

// openssl runs the openssl command in dir.
func openssl(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
}

// issue writes name.key and name.pem, a certificate for the subjectAltName san signed by the
// CA in dir.
func issue(t *testing.T, dir, name, san string, serial int) {
	t.Helper()
	openssl(t, dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
		"-out", name+".key")
	openssl(t, dir, "req", "-new", "-key", name+".key", "-out", name+".csr", "-subj", "/CN="+name)
	if err := os.WriteFile(filepath.Join(dir, name+".ext"), []byte("subjectAltName="+san+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	openssl(t, dir, "x509", "-req", "-in", name+".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
		"-set_serial", fmt.Sprint(serial), "-days", "2", "-extfile", name+".ext", "-out", name+".pem")
}

// xdsClient is a channel to xds:///echo.test whose xDS client uses `bootstrap`.
func xdsClient(t *testing.T, bootstrap map[string]any) client {
	t.Helper()
	raw, err := json.Marshal(bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	resolverBuilder, err := xds.NewXDSResolverWithConfigForTesting(raw)
	if err != nil {
		t.Fatalf("xDS resolver from bootstrap %s: %v", raw, err)
	}
	conn, err := grpc.NewClient("xds:///"+target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithResolvers(resolverBuilder))
	if err != nil {
		t.Fatalf("grpc.NewClient(xds:///%s): %v", target, err)
	}
	t.Cleanup(func() { conn.Close() })
	return client{stub: testgrpc.NewTestServiceClient(conn)}
}

func TestGrpcGoXdsClientOverMutualTls(t *testing.T) {
	binary := os.Getenv("XDSD_BINARY")
	if binary == "" {
		t.Fatal("XDSD_BINARY is not set")
	}
	ctx, cancel := context.WithTimeout(context.Background(), testBudget)
	defer cancel()

	pki := t.TempDir()
	openssl(t, pki, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
		"-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=xdsd test CA")
	issue(t, pki, "server", "IP:127.0.0.1,DNS:localhost", 1)
	issue(t, pki, "client", "URI:"+mtlsIdentity, 2)

	portA := startBackend(t, "A")
	portB := startBackend(t, "B")
	configDir := t.TempDir()
	configPath := filepath.Join(configDir, "xdsd.yaml")
	config := configYAML(routeToCluster("backend-a"), portA, portB) + fmt.Sprintf(`authorization:
  - identity: "spiffe://example.org/ns/grpc/*"
    nodes: [%q]
`, mtlsNodeID)
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &xdsdProcess{
		binary:     binary,
		configPath: configPath,
		xdsPort:    freePort(t),
		httpPort:   freePort(t),
		logDir:     t.TempDir(),
		http:       &http.Client{Timeout: 2 * time.Second},
		extraFlags: []string{
			"--xds-tls-cert", filepath.Join(pki, "server.pem"),
			"--xds-tls-key", filepath.Join(pki, "server.key"),
			"--xds-client-ca", filepath.Join(pki, "ca.pem"),
		},
	}
	t.Cleanup(func() {
		d.kill()
		if t.Failed() {
			t.Logf("log of xdsd (%s):\n%s", d.logPath, d.log())
		}
	})
	if err := d.start(ctx); err != nil {
		t.Fatal(err)
	}

	// The bootstrap `xdsd bootstrap --format=grpc --tls-ca --tls-cert --tls-key` writes.
	bootstrap := func(nodeID string) map[string]any {
		return map[string]any{
			"xds_servers": []any{map[string]any{
				"server_uri": fmt.Sprintf("127.0.0.1:%d", d.xdsPort),
				"channel_creds": []any{map[string]any{"type": "tls", "config": map[string]any{
					"ca_certificate_file": filepath.Join(pki, "ca.pem"),
					"certificate_file":    filepath.Join(pki, "client.pem"),
					"private_key_file":    filepath.Join(pki, "client.key"),
				}}},
				"server_features": []any{"xds_v3"},
			}},
			"node": map[string]any{"id": nodeID, "cluster": "test", "locality": map[string]any{}},
		}
	}

	t.Run("authorized_identity_is_served", func(t *testing.T) {
		c := xdsClient(t, bootstrap(mtlsNodeID))
		deadline := time.Now().Add(firstRPCTimeout)
		for {
			backend, err := c.call(ctx)
			if err == nil && backend == "A" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no RPC reached backend A over xDS via mTLS within %v: %v (%q)",
					firstRPCTimeout, err, backend)
			}
			time.Sleep(pollPause)
		}
		node, raw, err := d.node(ctx, mtlsNodeID)
		if err != nil || node == nil {
			t.Fatalf("node %s not in /v1/nodes: %v %s", mtlsNodeID, err, raw)
		}
		if len(node.Identities) != 1 || node.Identities[0] != mtlsIdentity {
			t.Errorf("identities of %s = %v, want [%s]", mtlsNodeID, node.Identities, mtlsIdentity)
		}
	})

	t.Run("another_node_is_refused", func(t *testing.T) {
		c := xdsClient(t, bootstrap("someone-else"))
		backend, err := c.call(ctx)
		if err == nil {
			t.Fatalf("a client claiming someone-else was served by backend %q", backend)
		}
		// xdsd refused the node (logged before the stream ends, so before the RPC fails).
		if !strings.Contains(d.log(), "refused (node_not_authorized)") {
			t.Errorf("the RPC failed (%v) but xdsd logged no node_not_authorized refusal", err)
		}
		if node, raw, err := d.node(ctx, "someone-else"); err != nil || node != nil {
			t.Errorf("someone-else must leave no node status: %v %s", err, raw)
		}
	})
}
