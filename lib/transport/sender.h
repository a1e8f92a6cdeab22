// Sending one composed mail to one recipient: over SMTP (libcurl) or into a Maildir (the demo).
//
// The outcome is what the outbox needs to decide: sent; temporary (4xx, a network error, a
// refused login: retry later); permanent (5xx for that recipient: never retry). The detail
// carries the server's own words when there are any. A refusal of the town's own sending set-up
// (the login, the certificate, STARTTLS, a server that takes no login) is `setup`: the recipient
// is not at fault, and the mail waits, past the retry horizon, until an admin mends it.
#pragma once

#include <memory>
#include <string>

#include "transport/credentials.h"
#include "util/result.h"

namespace guichet::transport {

struct SendResult {
  enum class Status { sent, temporary, permanent };
  Status status = Status::sent;
  std::string detail;  // "451 4.3.0 try again later", "connection refused"…
  bool setup = false;  // temporary because of the town's own settings or server, not the recipient
};

class Sender {
 public:
  virtual ~Sender() = default;
  // `from` and `to` must have passed mail::valid_address(); `message` is CRLF text.
  virtual SendResult send(const std::string& from, const std::string& to, const std::string& message) = 0;
  virtual std::string describe() const = 0;  // for logs: "smtp://mail.example:587", "maildir:///…"
};

struct SmtpSettings {
  std::string url;           // smtp://host:587 (STARTTLS), smtps://host:465, or maildir:///path (the demo)
  Credentials credentials;   // no user: no AUTH
  bool tls_required = true;  // smtp:// then needs STARTTLS
  std::string ca_file;       // a CA to trust for the server's certificate
  int timeout_seconds = 60;  // connect and whole transaction
};

// smtp:// (STARTTLS required unless !tls_required), smtps://, or maildir:// (each mail a file).
Result<std::unique_ptr<Sender>> make_sender(const SmtpSettings& smtp);

}  // namespace guichet::transport
