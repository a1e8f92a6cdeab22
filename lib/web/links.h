// One-time login links to the web view: a random token mailed (or printed by `guichet web link`),
// its SHA-256 kept in web_links, good once for web.link_minutes.
#pragma once

#include <cstdint>
#include <string>

#include "engine/setup.h"
#include "store/store.h"

namespace guichet::web {

// Where links point: web.base_url, else the TCP address listened on; "" behind a Unix socket
// without base_url. Never the request's Host header: anyone may set it, and a link to their own
// host would hand them the token.
std::string link_base(const config::Web& web);

// A new link for `address` (lower-case, a person the directory knows: the caller checks), its
// hash stored (in the caller's transaction, if one is open). Errc::config without a base.
Result<std::string> new_login_link(store::Store& store, const config::Web& web, const std::string& address,
                                   std::int64_t now);

}  // namespace guichet::web
