// Command echoclient is grpc-go's proxyless xDS client as a program, for tests written in other
// languages: it dials xds:///TARGET (the bootstrap named by GRPC_XDS_BOOTSTRAP) and calls
// /xdsd.test.Echo/Echo (echo.proto of the node tests) every INTERVAL_MS milliseconds, printing
// one JSON line per call:
//
//	{"client":"grpc-go","at":MS,"ok":true,"backend":"A"}
//	{"client":"grpc-go","at":MS,"ok":false,"error":"..."}
//
// It stops when its standard input closes, so that it never outlives the test that started it.
//
// Usage: echoclient TARGET [INTERVAL_MS]
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/wrapperspb"

	_ "google.golang.org/grpc/xds" // registers the xds:/// resolver
)

// EchoRequest and EchoReply have the wire format of StringValue in their field 1 (the message,
// the backend's name); EchoReply's field 2 is kept as an unknown field.
const method = "/xdsd.test.Echo/Echo"

type line struct {
	Client  string `json:"client"`
	At      int64  `json:"at"`
	OK      bool   `json:"ok"`
	Backend string `json:"backend,omitempty"`
	Error   string `json:"error,omitempty"`
}

func main() {
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintf(os.Stderr, "usage: %s TARGET [INTERVAL_MS]\n", os.Args[0])
		os.Exit(2)
	}
	interval := 100 * time.Millisecond
	if len(os.Args) == 3 {
		ms, err := strconv.Atoi(os.Args[2])
		if err != nil || ms < 1 {
			fmt.Fprintf(os.Stderr, "invalid INTERVAL_MS: %s\n", os.Args[2])
			os.Exit(2)
		}
		interval = time.Duration(ms) * time.Millisecond
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()

	conn, err := grpc.NewClient("xds:///"+os.Args[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "grpc.NewClient: %v\n", err)
		os.Exit(1)
	}
	encoder := json.NewEncoder(os.Stdout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		reply := &wrapperspb.StringValue{}
		err := conn.Invoke(ctx, method, wrapperspb.String("ping"), reply)
		cancel()
		result := line{Client: "grpc-go", At: time.Now().UnixMilli(), OK: err == nil}
		if err == nil {
			result.Backend = reply.GetValue()
		} else {
			result.Error = err.Error()
		}
		if encoder.Encode(result) != nil {
			os.Exit(0)
		}
		time.Sleep(interval)
	}
}
