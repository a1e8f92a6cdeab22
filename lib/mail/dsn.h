// Delivery status notifications (RFC 3464) and the mail they report on.
#pragma once

#include <string>
#include <vector>

#include "mail/message.h"

namespace guichet::mail {

// The Message-IDs a bounce (DSN) reports on: those of the returned message or its headers
// (message/rfc822, text/rfc822-headers parts), or quoted in its text.
std::vector<std::string> returned_message_ids(const Message& dsn);

}  // namespace guichet::mail
