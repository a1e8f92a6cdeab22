// What a connection logs in with, resolved once from the configuration (engine/connections.h):
// a user and either a password or an OAuth2 bearer token (XOAUTH2). Never logged.
#pragma once

#include <string>

namespace guichet::transport {

struct Credentials {
  std::string user;
  std::string password;
  std::string bearer;  // an OAuth2 access token: XOAUTH2 instead of a password
};

}  // namespace guichet::transport
