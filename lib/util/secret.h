// Secrets (passwords, OAuth2 secrets and tokens, the token key): where the configuration says they
// are, read when needed and never from the command line or a log line.
//
// One of: a file (its trailing newline dropped; the file should be readable by guichet alone), an
// environment variable, or a systemd credential (`LoadCredential=NAME:/etc/guichet/credentials/…`
// in the unit: the file $CREDENTIALS_DIRECTORY/NAME, readable by this service only).
#pragma once

#include <string>

#include "util/result.h"

namespace guichet {

struct SecretRef {
  std::string file;
  std::string env;
  std::string credential;

  bool empty() const { return file.empty() && env.empty() && credential.empty(); }
  // "file /etc/guichet/smtp", "environment variable SMTP_PASSWORD", "systemd credential smtp".
  std::string describe() const;
};

// The secret, or "" when `ref` is empty. Errc::config when it is named but cannot be read.
Result<std::string> read_secret(const SecretRef& ref);

}  // namespace guichet
