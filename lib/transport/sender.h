// Sending one composed mail to one recipient: over SMTP (libcurl) or into a Maildir (the demo).
//
// The outcome is what the outbox needs to decide: sent; temporary (4xx, a network error, a
// refused login: retry later); permanent (5xx for that recipient: never retry). The detail
// carries the server's own words when there are any.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "util/result.h"

namespace guichet::transport {

struct SendResult {
  enum class Status { sent, temporary, permanent };
  Status status = Status::sent;
  std::string detail;  // "451 4.3.0 try again later", "connection refused"…
};

class Sender {
 public:
  virtual ~Sender() = default;
  // `from` and `to` must have passed mail::valid_address(); `message` is CRLF text.
  virtual SendResult send(const std::string& from, const std::string& to, const std::string& message) = 0;
  virtual std::string describe() const = 0;  // for logs: "smtp://mail.example:587", "maildir:///…"
};

// From the configuration's `smtp` section: smtp:// (STARTTLS required unless tls: none),
// smtps://, or maildir://. The password is read now (file or environment variable).
Result<std::unique_ptr<Sender>> make_sender(const config::Smtp& smtp);

// A secret from a file (trailing newline dropped) or an environment variable; empty when neither
// is configured. Never from the command line.
Result<std::string> read_secret(const std::string& file, const std::string& env);

}  // namespace guichet::transport
