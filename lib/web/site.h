// The web view (`guichet web`, README "The web view"): élus, agents and the pilot find and follow
// requests from a phone or a desktop. A process of its own, behind the town's reverse proxy: it
// holds no mail password, reads the database the daemon writes, and writes only sessions, the
// history of who opened what, what agents do (through engine/actions.h) and outbox rows (a login
// link) that `guichet serve` sends.
//
// Security: people log in with a one-time link mailed to their address (15 minutes, once), or
// through the proxy's single sign-on header; sessions are random, stored hashed, in an HttpOnly,
// Secure, SameSite=Strict cookie that ends after days unused. Every page checks the person's rights
// on the server: a request they may not see answers 404. Every form carries a CSRF token; every
// value is escaped (mustache, HTML); Content-Security-Policy default-src 'self', no script at all,
// frames refused; requests and uploads have size limits.
#pragma once

#include <httplib.h>

#include <functional>
#include <memory>
#include <string>

#include "engine/setup.h"
#include "util/clock.h"

namespace guichet::web {

class Site {
 public:
  Site(std::shared_ptr<const engine::Setup> setup, std::string database, const Clock& clock);
  ~Site();
  Site(const Site&) = delete;
  Site& operator=(const Site&) = delete;

  // Every page, the stylesheet, the headers, the limits, on `server`.
  void mount(httplib::Server& server);
  // Replaces the setup (SIGHUP): the directory and rights in force change for the next request.
  void reload(std::shared_ptr<const engine::Setup> setup);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Serves `site` on `listen` (host:port, or unix:/path for a reverse proxy on the same host) until
// `stop` says so (checked every half second). Errc::temp_fail when the address cannot be bound.
Result<void> serve(Site& site, const std::string& listen, const std::function<bool()>& stop);

}  // namespace guichet::web
