#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "xdsd/resource.h"

namespace xdsd::server {

// The type URLs of `types` (a map keyed by type URL) in the order an ADS stream answers them:
// make before break (kAdsOrder), then any type xdsd does not know, by name.
template <typename TypeMap>
std::vector<std::string> TypesInAdsOrder(const TypeMap& types) {
  std::vector<std::string> order;
  for (std::string_view type_url : kAdsOrder) {
    if (types.contains(type_url)) order.emplace_back(type_url);
  }
  for (const auto& [type_url, state] : types) {
    if (!IsKnownType(type_url)) order.push_back(type_url);
  }
  return order;
}

// True when a type after `type_url` in ADS order is `busy` (has a response in flight or due):
// a removal of `type_url`'s resources waits for them (make before break).
template <typename TypeMap, typename Busy>
bool LaterTypeIsBusy(const TypeMap& types, std::string_view type_url, Busy busy) {
  const std::vector<std::string> order = TypesInAdsOrder(types);
  auto it = std::find(order.begin(), order.end(), type_url);
  if (it == order.end()) return false;
  for (++it; it != order.end(); ++it) {
    if (busy(*it, types.find(*it)->second)) return true;
  }
  return false;
}

}  // namespace xdsd::server
