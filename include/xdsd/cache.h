#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "envoy/config/core/v3/base.pb.h"
#include "xdsd/callbacks.h"
#include "xdsd/snapshot.h"

namespace xdsd {

// Receives every snapshot set for a key. Called outside the cache's lock, on the thread that
// set the snapshot; must not block. `generation` grows with every set or clear of the key, so
// that a receiver can drop a delivery that overtook a newer one.
class SnapshotWatcher {
 public:
  virtual ~SnapshotWatcher() = default;
  virtual void OnSnapshot(SnapshotPtr snapshot, uint64_t generation) = 0;
};

// What a new watch starts from: the key its node maps to, and that key's current snapshot
// (null when none) with its generation.
struct WatchStart {
  std::string key;
  SnapshotPtr snapshot;
  uint64_t generation = 0;
};

// What XdsServer serves from (go-control-plane's cache.Cache): snapshots by node key, and
// watches that deliver each new snapshot of a key to the streams of its nodes. SnapshotCache
// is the implementation a program normally uses; a program with its own store of
// configuration can implement this instead, and server tests use fakes.
//
// Implementations must be thread-safe: streams call it from gRPC's threads.
class Cache {
 public:
  virtual ~Cache() = default;

  // The key a node's snapshot is kept under.
  virtual std::string KeyOf(const envoy::config::core::v3::Node& node) const = 0;
  // The snapshot of `key`, or null (Fetch and the REST gateway answer from it).
  virtual SnapshotPtr GetSnapshot(const std::string& key) const = 0;

  // Registers `watcher` for the snapshots of `node`'s key and returns where it starts. After
  // Unwatch returns, no later snapshot reaches the watcher (one already under way may still
  // arrive, so a watcher must tolerate a late call, e.g. by being shared-owned). `key` is the
  // WatchStart's: a node's key may change meanwhile.
  virtual WatchStart Watch(const envoy::config::core::v3::Node& node,
                           std::shared_ptr<SnapshotWatcher> watcher) = 0;
  virtual void Unwatch(const std::string& key, const std::string& node_id,
                       const SnapshotWatcher* watcher) = 0;

  // What the cache itself wants to learn of the streams it serves (SnapshotCache keeps node
  // status and push reports from it); the server calls it after the program's own callbacks,
  // and only for events they did not refuse. Null for nothing.
  virtual Callbacks* StreamObserver() { return nullptr; }
};

}  // namespace xdsd
