#pragma once

#include <string_view>

#include "config/config_publisher.h"
#include "rest/rest_gateway.h"

namespace xdsd::rest {

// The history of the config served, over HTTP (see ConfigHistory and ConfigPublisher::Rollback):
//
//   GET  /v1/config/history              {"served": N, "source_version": V, "revisions": [...]}
//                                        oldest first (RevisionToJson)
//   GET  /v1/config/diff?from=A&to=B     the resources that differ from revision A to B
//                                        (DiffConfigs): secrets redacted; 404 for a revision
//                                        no longer kept
//   POST /v1/config/rollback             body {"revision": N}: serves N's content again as a
//                                        new revision; answers {"revision": NEW, "version": V}
//
// Thread-safe. The publisher must outlive it.
class HistoryApi {
 public:
  explicit HistoryApi(config::ConfigPublisher* publisher) : publisher_(publisher) {}

  HttpReply History() const;
  HttpReply Diff(std::string_view from, std::string_view to) const;
  HttpReply Rollback(std::string_view body, std::string_view who) const;

 private:
  config::ConfigPublisher* const publisher_;
};

}  // namespace xdsd::rest
