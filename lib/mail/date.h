// RFC 5322 dates ("Tue, 3 Nov 2026 14:05:00 +0100") to UTC, tolerant of what real clients send:
// missing day name or seconds, two-digit years, named zones (GMT, CEST, EST…), comments, French
// month names from misconfigured webmails, ISO 8601 from scripts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mail/message.h"

namespace guichet::mail {

std::optional<std::int64_t> parse_date(std::string_view raw);

// The date of a Received: header: what follows its last ';'.
std::optional<std::int64_t> parse_received_date(std::string_view received);

// RFC 3339 in UTC: 2026-11-03T13:05:00Z.
std::string format_rfc3339(std::int64_t t);

// When the town's server received the mail: the date of the topmost Received: header (added by
// the town's own server), else its Date:, else `now`; never later than `now`.
std::int64_t received_at(const Message& m, std::int64_t now);

}  // namespace guichet::mail
