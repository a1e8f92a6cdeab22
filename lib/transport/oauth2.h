// OAuth2 access tokens that guichet fetches itself, for XOAUTH2 on IMAP and SMTP: the
// client-credentials grant (RFC 6749 §4.4; Microsoft 365 shared mailboxes) and the refresh-token
// grant (§6; Google, delegated accounts). One POST over HTTPS (libcurl), the answer's JSON read
// strictly. A token lives about an hour: it is kept in memory, shared by every connection of the
// account, and renewed before it expires or once a server refused it. No token, secret or refresh
// token is ever put in an error message or a log line.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "util/result.h"

namespace guichet::transport {

struct OAuth2Client {
  std::string token_url;  // https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token
  std::string client_id;
  std::string client_secret;       // may be empty for a public client's refresh-token grant
  std::string refresh_token;       // non-empty: the refresh-token grant
  std::string refresh_token_file;  // where a rotated refresh token is written back, if it is a file
  std::string scope;               // may be empty
  std::string ca_file;             // a CA to trust for the endpoint besides the system's
  int timeout_seconds = 30;
};

struct AccessToken {
  std::string value;
  std::int64_t expires_at = 0;  // Unix time
  std::string refresh_token;    // a new one, when the provider rotated it
};

// One request to the token endpoint. Errc::temp_fail with what went wrong, in the provider's own
// words when it gave any: "the identity provider refused: invalid_client: AADSTS7000222: The
// provided client secret keys … are expired", "the token endpoint answered HTTP 200 with text/html,
// not JSON: <title>…", "the token endpoint is unreachable: Couldn't connect to server".
Result<AccessToken> fetch_access_token(const OAuth2Client& client, std::int64_t now);

// The token of one client, shared by all its connections. Thread-safe.
class OAuth2Token {
 public:
  explicit OAuth2Token(OAuth2Client client) : client_(std::move(client)) {}
  // The cached token, or a new one when none is held or it expires within
  // defaults::oauth2_renew_before_seconds.
  Result<std::string> get(std::int64_t now);
  // A server refused the token (revoked, or its rights changed): the next get() asks again.
  void invalidate();
  const std::string& token_url() const { return client_.token_url; }
  std::int64_t expires_at();  // of the token held, 0 when none

 private:
  std::mutex mutex_;
  OAuth2Client client_;
  AccessToken token_;
};

// The one OAuth2Token of this client (same endpoint, client id, scope and refresh token) in this
// process: the daemon remakes its connections at each poll, and must not ask the provider each time.
std::shared_ptr<OAuth2Token> shared_token(const OAuth2Client& client);

}  // namespace guichet::transport
