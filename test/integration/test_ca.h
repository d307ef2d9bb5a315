#pragma once

// A private certificate authority for tests, made with the openssl command at test time (the
// target defines XDSD_OPENSSL, the path of the openssl binary).

#include <sys/wait.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "integration/subprocess.h"
#include "integration/xdsd_process.h"

namespace xdsd::testing {

// A private CA and the certificates it signs, written by the openssl command into `dir`.
// Thread-compatible.
class TestCa {
 public:
  explicit TestCa(std::string dir) : dir_(std::move(dir)) {}

  absl::Status Create() {
    return Run({XDSD_OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", Path("ca.key"), "-out",
                Path("ca.pem"), "-days", "2", "-subj", "/CN=xdsd test CA"});
  }

  // `name`.key and `name`.pem: a certificate for `common_name` with `san` (an OpenSSL
  // subjectAltName value), signed by the CA. An existing `name`.key is kept (a rotation renews
  // the certificate, not the key).
  absl::Status Issue(const std::string& name, const std::string& common_name,
                     const std::string& san, int serial) {
    const std::string key = Path(name + ".key");
    if (!std::filesystem::exists(key)) {
      if (absl::Status s = Run({XDSD_OPENSSL, "genpkey", "-algorithm", "EC", "-pkeyopt",
                                "ec_paramgen_curve:P-256", "-out", key});
          !s.ok())
        return s;
    }
    if (absl::Status s = Run({XDSD_OPENSSL, "req", "-new", "-key", key, "-out", Path(name + ".csr"),
                              "-subj", absl::StrCat("/CN=", common_name)});
        !s.ok())
      return s;
    if (absl::Status s = WriteFile(Path(name + ".ext"), absl::StrCat("subjectAltName=", san, "\n"));
        !s.ok())
      return s;
    // Written beside, then renamed over the served file: xdsd never reads half a certificate.
    const std::string next = Path(name + ".pem.next");
    if (absl::Status s =
            Run({XDSD_OPENSSL, "x509", "-req", "-in", Path(name + ".csr"), "-CA", Path("ca.pem"),
                 "-CAkey", Path("ca.key"), "-set_serial", absl::StrCat(serial), "-days", "2",
                 "-extfile", Path(name + ".ext"), "-out", next});
        !s.ok())
      return s;
    std::filesystem::rename(next, Path(name + ".pem"));
    return absl::OkStatus();
  }

  std::string Path(const std::string& file) const { return absl::StrCat(dir_, "/", file); }
  std::string Read(const std::string& file) const { return ReadFileOrEmpty(Path(file)); }

 private:
  absl::Status Run(const std::vector<std::string>& argv) {
    absl::StatusOr<CommandResult> result = RunCommand(argv, dir_, absl::Seconds(30));
    if (!result.ok()) return result.status();
    if (!WIFEXITED(result->wait_status) || WEXITSTATUS(result->wait_status) != 0) {
      return absl::InternalError(
          absl::StrCat("openssl ", argv[1], " failed: ", result->stderr_text));
    }
    return absl::OkStatus();
  }

  std::string dir_;
};

}  // namespace xdsd::testing
