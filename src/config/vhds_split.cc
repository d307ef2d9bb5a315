#include "config/vhds_split.h"

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"

namespace xdsd::config {

using envoy::config::route::v3::RouteConfiguration;
using envoy::config::route::v3::VirtualHost;

std::vector<ParsedResource> SplitVhds(RouteConfiguration* route_config,
                                      const ParsedResource& parsed, std::chrono::milliseconds ttl,
                                      LoadErrors* errors) {
  std::vector<ParsedResource> out;
  const std::string& prefix = route_config->name();
  // What follows "<route config>/" in a resource name or alias, and the index of the virtual
  // host it names: Envoy asks for "<route config>/<host header>", so each must be one host.
  std::map<std::string, int, std::less<>> owners;
  for (int v = 0; v < route_config->virtual_hosts_size(); ++v) {
    owners.emplace(route_config->virtual_hosts(v).name(), v);
  }
  for (int v = 0; v < route_config->virtual_hosts_size(); ++v) {
    VirtualHost& virtual_host = *route_config->mutable_virtual_hosts(v);
    ParsedResource host{FindResourceType(kVirtualHostType),
                        nullptr,
                        parsed.file,
                        absl::StrCat(parsed.path, ".virtual_hosts[", v, "]"),
                        parsed.source.Inside(absl::StrCat("virtual_hosts[", v, "]")),
                        nullptr};
    if (virtual_host.name().empty()) {
      errors->AddAt(host, "", "a virtual host needs a name");
      continue;
    }
    std::string name = absl::StrCat(prefix, "/", virtual_host.name());
    std::vector<std::string> aliases;
    for (int d = 0; d < virtual_host.domains_size(); ++d) {
      const std::string& domain = virtual_host.domains(d);
      auto [it, inserted] = owners.emplace(domain, v);
      if (!inserted && it->second != v) {
        errors->AddAt(host, absl::StrCat("domains[", d, "]"),
                      absl::StrCat("\"", prefix, "/", domain, "\" already names virtual host \"",
                                   route_config->virtual_hosts(it->second).name(),
                                   "\" (with vhds, a name or domain of a virtual host names "
                                   "it alone)"));
        continue;
      }
      std::string alias = absl::StrCat(prefix, "/", domain);
      if (alias != name && std::find(aliases.begin(), aliases.end(), alias) == aliases.end()) {
        aliases.push_back(std::move(alias));
      }
    }
    host.resource = Resource::FromBytes(kVirtualHostType, std::move(name),
                                        CanonicalBytes(virtual_host), ttl, std::move(aliases));
    // Copied, not moved: later hosts' errors still name this one through `route_config`.
    host.message = std::make_unique<VirtualHost>(virtual_host);
    out.push_back(std::move(host));
  }
  // Envoy fetches the virtual hosts on demand, over VHDS.
  route_config->clear_virtual_hosts();
  return out;
}

}  // namespace xdsd::config
