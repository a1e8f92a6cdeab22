// What `guichet mailbox test` and `guichet smtp test` report: each step of reaching a server, in
// order, up to the first that fails, with the server's own words. Nothing is fetched, flagged or
// sent on the way.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "transport/imap_connection.h"
#include "transport/sender.h"

namespace guichet::transport {

struct ProbeStep {
  std::string step;  // "resolve", "connect", "TLS", "login", "folders", "folder", "first run"
  bool ok = true;
  std::string detail;  // what was found, or why it failed
};

// The host and port of scheme://[user@]host[:port]/…, the scheme's port by default.
std::pair<std::string, std::string> host_and_port(const std::string& url);
// The host of a URL looked up as the connection will do it: its addresses, or why not.
ProbeStep resolve_step(const std::string& url);

// With an oauth2: block, the token fetched from the identity provider (its step "OAuth2"), before
// any connection; nullopt without one.
std::optional<ProbeStep> oauth2_step(const Credentials& c);

// resolve, connect, TLS, login, folders (LIST), folder (EXAMINE: read-only), first run (what
// `start` would take: "now", "all" or "since:YYYY-MM-DD").
std::vector<ProbeStep> probe_imap(const ImapSettings& s, const std::string& start);
// A Maildir: the folder, its new/ and cur/, what the first run would take.
std::vector<ProbeStep> probe_maildir(const std::string& path, const std::string& start);
// resolve, connect, TLS, login (EHLO and AUTH as the server answered them); QUIT, no mail.
std::vector<ProbeStep> probe_smtp(const SmtpSettings& s);

}  // namespace guichet::transport
