#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace xdsd {

// The one mapping of an absl::Status onto gRPC: the same code (absl's codes are gRPC's) and
// message. Every gRPC service of xdsd answers through it.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The one mapping of an absl::Status onto HTTP, for every HTTP endpoint (admin, fleet API,
// REST gateway): OK → 200, InvalidArgument, FailedPrecondition, OutOfRange → 400,
// Unauthenticated → 401, PermissionDenied → 403, NotFound → 404, AlreadyExists, Aborted → 409,
// ResourceExhausted → 429, Cancelled → 499, Unimplemented → 501, Unavailable → 503,
// DeadlineExceeded → 504, anything else → 500.
int HttpStatusCode(const absl::Status& status);

}  // namespace xdsd
