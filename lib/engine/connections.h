// The one place that turns configured mailboxes and SMTP into connections: credentials resolved
// once (password from a file, an environment variable or a systemd credential, or an OAuth2
// token), TLS settings, the source or sender itself.
#pragma once

#include <memory>
#include <optional>

#include "config/config.h"
#include "transport/credentials.h"
#include "transport/imap_connection.h"
#include "transport/sender.h"
#include "transport/source.h"

namespace guichet::engine {

// `oauth2`: guichet fetches the token itself (transport/oauth2.h), one cache per client in the
// process; else the password or the token file.
Result<transport::Credentials> credentials(const std::string& user, const SecretRef& password,
                                           const SecretRef& oauth2_token,
                                           const std::optional<config::OAuth2>& oauth2 = std::nullopt);

// The token endpoint and scope an oauth2: block means: the provider's defaults filled in.
transport::OAuth2Client oauth2_client(const config::OAuth2& oauth2);

// What it takes to reach an IMAP mailbox (not a Maildir) or the SMTP server: the URL, the
// credentials resolved, TLS.
Result<transport::ImapSettings> imap_settings(const config::Mailbox& mailbox);
Result<transport::SmtpSettings> smtp_settings(const config::Smtp& smtp);

// imap:// or imaps:// (transport/imap.h), or maildir:// (transport/maildir_source.h).
Result<std::unique_ptr<transport::Source>> make_source(const config::Mailbox& mailbox);
Result<std::unique_ptr<transport::Sender>> make_sender(const config::Smtp& smtp);

// The mailbox's `after:` as the source's action.
transport::After after_of(const config::Mailbox& mailbox);

// The mailbox that polls `mailbox.sent_folder` (an IMAP folder of the same account): read-only
// (after: leave), from the mail sent after the first run (start: now), its position kept under
// "<name>:sent". nullopt when it has none or is a Maildir.
std::optional<config::Mailbox> sent_folder_of(const config::Mailbox& mailbox);

}  // namespace guichet::engine
