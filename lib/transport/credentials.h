// What a connection logs in with, resolved once from the configuration (engine/connections.h):
// a user and either a password or an OAuth2 bearer token (XOAUTH2), given or fetched. Never logged.
#pragma once

#include <memory>
#include <string>

#include "transport/oauth2.h"
#include "util/result.h"

namespace guichet::transport {

struct Credentials {
  std::string user;
  std::string password;
  std::string bearer;                    // an OAuth2 access token: XOAUTH2 instead of a password
  std::shared_ptr<OAuth2Token> oauth2;   // or guichet fetches and renews it (transport/oauth2.h)

  // The bearer to log in with now: `bearer`, or a token from `oauth2` (fetched when needed);
  // "" for a password login. The error says what the identity provider said.
  Result<std::string> current_bearer() const;
  // After the server refused a fetched token: the next login asks the provider again.
  void refused() const {
    if (oauth2) oauth2->invalidate();
  }
};

}  // namespace guichet::transport
