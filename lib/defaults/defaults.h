// Every default and every policy guichet applies when the configuration says nothing, in one place.
// The configuration's structs (config/config.h) and the library's policies start from these values;
// README.md and the man pages document them. Change a default here, and only here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace guichet::defaults {

// The subject tag of everything guichet sends: "[Réf. 2026-000042] …".
inline constexpr std::string_view reference_prefix = "R\xC3\xA9" "f.";
inline constexpr std::string_view database = "/var/lib/guichet/guichet.db";
inline constexpr std::string_view timezone = "Europe/Paris";

// Mailboxes: poll interval, and the backoff of a failing mailbox (from the interval to 15 min).
inline constexpr int poll_seconds = 30;
inline constexpr std::int64_t mailbox_backoff_max_seconds = 900;
inline constexpr int alert_after_minutes = 30;
// Waiting for new mail between polls (IDLE): never longer than 25 minutes in one IDLE (servers
// may drop a client silent for 30), and a failing watcher tries again after 30 s, doubling.
inline constexpr int watch_max_minutes = 25;
inline constexpr std::int64_t watch_retry_seconds = 30;

// The outbox: 4xx answers and network errors are retried this long, waiting 1 min, doubling, at
// most 1 h between attempts; the SMTP session times out after this many seconds.
inline constexpr int retry_hours = 72;
inline constexpr std::int64_t outbox_backoff_first_seconds = 60;
inline constexpr std::int64_t outbox_backoff_max_seconds = 3600;
inline constexpr int smtp_timeout_seconds = 60;
// OAuth2 token endpoints: the whole request's limit; a token is renewed this long before it expires.
inline constexpr int oauth2_timeout_seconds = 30;
inline constexpr int oauth2_renew_before_seconds = 300;

// RFC 3834 loop brakes: acknowledgements to one address.
inline constexpr int acknowledgements_per_day = 3;
inline constexpr int acknowledgements_per_week = 10;

// Threading windows, counted from when the mail arrived.
inline constexpr std::int64_t relance_window_seconds = 30 * 86400;  // a chaser joins an open request
inline constexpr std::int64_t reopen_window_seconds = 30 * 86400;   // a closed request reopens
inline constexpr std::size_t purge_batch = 5000;  // requests `serve` purges per deadline scan (≈ 10 s)
inline constexpr std::int64_t resend_window_seconds = 86400;        // the same mail sent again

// Missing pieces (L114-5): the deadline the resident is given to send them.
inline constexpr std::string_view missing_pieces_delay = "1 mois";

// Deadlines: the scanner runs every 5 minutes; the digest at 08:00 on working days lists,
// besides what is due and late, the requests without answer for more than 5 days. Working hours
// (for figures) are 09:00 to 17:00 on working days.
inline constexpr int deadlines_every_minutes = 5;
inline constexpr int digest_minute_of_day = 8 * 60;
inline constexpr int digest_unanswered_days = 5;
// Each list of a digest shows this many requests, then says how many more (a mail read on a phone).
inline constexpr int digest_list_max = 30;
inline constexpr int working_day_start_minute = 9 * 60;
inline constexpr int working_day_end_minute = 17 * 60;

// The web view: where it listens (behind the town's reverse proxy), how long a session lasts
// unused, how long a login link works (once).
inline constexpr std::string_view web_listen = "127.0.0.1:8080";
inline constexpr int web_session_idle_days = 7;
inline constexpr int web_link_minutes = 15;

// Commits: a batch of mail is committed after this many messages or this many milliseconds,
// whichever comes first (imports, polls). One fsync per batch; nothing is acknowledged to a
// source before its batch is committed.
inline constexpr int batch_messages = 1000;
inline constexpr int batch_milliseconds = 1000;

}  // namespace guichet::defaults
