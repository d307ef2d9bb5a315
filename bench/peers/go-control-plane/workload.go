package main

// The bench workload, mirroring bench/common/workload.cc: the same names, addresses, ports and
// fields, so the peer serves the same payloads as xdsd and the floor.

import (
	"fmt"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpoint "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	router "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func clusterName(i int) string  { return fmt.Sprintf("cluster-%05d", i) }
func listenerName(i int) string { return fmt.Sprintf("listener-%d", i) }
func routeName(i int) string    { return fmt.Sprintf("route-%d", i) }

func adsSource() *core.ConfigSource {
	return &core.ConfigSource{
		ConfigSourceSpecifier: &core.ConfigSource_Ads{Ads: &core.AggregatedConfigSource{}},
		ResourceApiVersion:    core.ApiVersion_V3,
	}
}

func makeCluster(i int) *cluster.Cluster {
	return &cluster.Cluster{
		Name:                 clusterName(i),
		ClusterDiscoveryType: &cluster.Cluster_Type{Type: cluster.Cluster_EDS},
		EdsClusterConfig:     &cluster.Cluster_EdsClusterConfig{EdsConfig: adsSource()},
		ConnectTimeout:       &durationpb.Duration{Seconds: 1},
		LbPolicy:             cluster.Cluster_ROUND_ROBIN,
	}
}

func makeEndpoints(i, endpoints int, generation uint64) *endpoint.ClusterLoadAssignment {
	locality := &endpoint.LocalityLbEndpoints{
		Locality:            &core.Locality{Region: "region-1", Zone: fmt.Sprintf("zone-%d", i%3)},
		LoadBalancingWeight: wrapperspb.UInt32(1),
	}
	for j := 0; j < endpoints; j++ {
		port := uint32(8000 + j)
		if j == 0 && generation > 0 {
			port = 20000 + uint32(generation%40000)
		}
		locality.LbEndpoints = append(locality.LbEndpoints, &endpoint.LbEndpoint{
			HostIdentifier: &endpoint.LbEndpoint_Endpoint{Endpoint: &endpoint.Endpoint{
				Address: &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{
					Address:       fmt.Sprintf("10.%d.%d.%d", (i>>8)&255, i&255, j+1),
					PortSpecifier: &core.SocketAddress_PortValue{PortValue: port},
				}}},
			}},
		})
	}
	return &endpoint.ClusterLoadAssignment{
		ClusterName: clusterName(i),
		Endpoints:   []*endpoint.LocalityLbEndpoints{locality},
	}
}


func makeListener(i int) *listener.Listener {
	routerAny, err := anypb.New(&router.Router{})
	if err != nil {
		panic(err)
	}
	manager := &hcm.HttpConnectionManager{
		StatPrefix: fmt.Sprintf("ingress_%d", i),
		RouteSpecifier: &hcm.HttpConnectionManager_Rds{Rds: &hcm.Rds{
			ConfigSource:    adsSource(),
			RouteConfigName: routeName(i),
		}},
		HttpFilters: []*hcm.HttpFilter{{
			Name:       "envoy.filters.http.router",
			ConfigType: &hcm.HttpFilter_TypedConfig{TypedConfig: routerAny},
		}},
	}
	managerAny, err := anypb.New(manager)
	if err != nil {
		panic(err)
	}
	return &listener.Listener{
		Name: listenerName(i),
		Address: &core.Address{Address: &core.Address_SocketAddress{SocketAddress: &core.SocketAddress{
			Address:       "0.0.0.0",
			PortSpecifier: &core.SocketAddress_PortValue{PortValue: uint32(10000 + i)},
		}}},
		FilterChains: []*listener.FilterChain{{
			Filters: []*listener.Filter{{
				Name:       "envoy.filters.network.http_connection_manager",
				ConfigType: &listener.Filter_TypedConfig{TypedConfig: managerAny},
			}},
		}},
	}
}

func makeRoute(i, clusters int) *route.RouteConfiguration {
	host := &route.VirtualHost{Name: fmt.Sprintf("vhost-%d", i), Domains: []string{"*"}}
	for k := 0; k < 10; k++ {
		host.Routes = append(host.Routes, &route.Route{
			Match: &route.RouteMatch{PathSpecifier: &route.RouteMatch_Prefix{Prefix: fmt.Sprintf("/svc-%d/", k)}},
			Action: &route.Route_Route{Route: &route.RouteAction{
				ClusterSpecifier: &route.RouteAction_Cluster{Cluster: clusterName((i*10 + k) % clusters)},
			}},
		})
	}
	return &route.RouteConfiguration{Name: routeName(i), VirtualHosts: []*route.VirtualHost{host}}
}

// churnCluster mirrors ChurnCluster in common/workload.h.
func churnCluster(tick uint64, count, k, clusters int) int {
	return int((tick*uint64(count) + uint64(k)) % uint64(clusters))
}
