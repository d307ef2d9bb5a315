// validate_oracle judges Envoy resources with go-control-plane's generated Validate() methods,
// the reference xdsd's own validator is compared against (test/validate/oracle_test.sh).
//
// Reads lines "TYPE_URL<TAB>JSON" from standard input and prints, for each, one line:
//
//	valid        the resource parses and breaks no rule
//	invalid      it parses and breaks a rule (the first one found follows, after a tab)
//	unparsable   this API version does not know a field or type of it (not comparable)
//
// As Envoy does, the payload of every Any is validated too (go-control-plane's Validate()
// stops at an Any; Envoy validates a typed_config when it instantiates the extension).
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"

	_ "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/lua/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/on_demand/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/tcp_proxy/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/service/runtime/v3"
)

type validator interface{ Validate() error }

// check validates m and every Any payload inside it.
func check(m protoreflect.Message) error {
	if v, ok := m.Interface().(validator); ok {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, value protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		visit := func(nested protoreflect.Message) bool {
			if any, ok := nested.Interface().(*anypb.Any); ok {
				payload, uerr := any.UnmarshalNew()
				if uerr != nil {
					return true // an unknown type: nothing to check
				}
				err = check(payload.ProtoReflect())
				return err == nil
			}
			err = check(nested)
			return err == nil
		}
		switch {
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				value.Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
					return visit(v.Message())
				})
			}
		case fd.IsList():
			for i := 0; i < value.List().Len() && err == nil; i++ {
				visit(value.List().Get(i).Message())
			}
		default:
			visit(value.Message())
		}
		return err == nil
	})
	return err
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		typeURL, body, _ := strings.Cut(in.Text(), "\t")
		name := typeURL[strings.LastIndex(typeURL, "/")+1:]
		mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
		if err != nil {
			fmt.Fprintln(out, "unparsable\tunknown type")
			continue
		}
		m := mt.New().Interface()
		if err := protojson.Unmarshal([]byte(body), m); err != nil {
			fmt.Fprintf(out, "unparsable\t%s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		if err := check(proto.Clone(m).ProtoReflect()); err != nil {
			fmt.Fprintf(out, "invalid\t%s\n", strings.ReplaceAll(err.Error(), "\n", " "))
			continue
		}
		fmt.Fprintln(out, "valid")
	}
}
