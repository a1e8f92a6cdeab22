// guichet.yaml, loaded into structs that mirror its keys one for one.
//
// Every key has a default documented here and in README.md; a key nobody reads is an error, not a
// silent no-op. Relative paths are relative to the file that names them. With no file at the
// default path (/etc/guichet/guichet.yaml) the built-in defaults apply.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "defaults/defaults.h"
#include "util/result.h"
#include "util/secret.h"
#include "yaml/keys.h"

namespace guichet::config {

inline constexpr const char* kDefaultPath = "/etc/guichet/guichet.yaml";

// OAuth2 done by guichet itself (README, "Microsoft 365 and Google"): the token is fetched over
// HTTPS, kept in memory, refreshed before it expires, and never written to a log. Two flows:
// client credentials (Microsoft 365 shared mailboxes: an application's id and secret) and, when a
// refresh token is given, the refresh-token flow (Google, a delegated account).
struct OAuth2 {
  std::string provider;      // microsoft | google | "" (then token_url is required)
  std::string tenant;        // microsoft: the directory (tenant) id or its domain
  std::string token_url;     // https://…; default from the provider
  std::string client_id;
  SecretRef client_secret;   // client_secret_file / _env / _credential
  SecretRef refresh_token;   // refresh_token_file / _env / _credential: the refresh-token flow
  std::string scope;         // default: microsoft's https://outlook.office365.com/.default (client credentials)
  std::string tls_ca_file;   // trust this CA for the token endpoint besides the system's
  int timeout_seconds = defaults::oauth2_timeout_seconds;
};

struct Mailbox {
  std::string name;                   // used in logs, `--mailbox`, and as the source of each message
  std::string url;                    // imap://, imaps:// or maildir:///path
  std::string tls = "required";       // required | none (plain text: loopback tests only)
  std::string tls_ca_file;            // trust this CA (a town's own) besides the system's
  std::string user;
  // password_file (a resolved path), password_env or password_credential (a systemd credential):
  SecretRef password;
  SecretRef oauth2_token;             // oauth2_token_file: XOAUTH2 bearer token, refreshed by another tool
  std::optional<OAuth2> oauth2;       // or guichet fetches the token itself
  std::optional<std::string> department;  // where its mail goes when no rule decides
  // After a message is committed: flag (keyword $Guichet; \Seen left as a human left it) |
  // seen ($Guichet and \Seen) | move:Folder | leave (nothing at all).
  std::string after = "flag";
  std::string sent_folder;            // agents' answers sent from the shared box: polled read-only
  // Not a key: set on the mailbox engine::sent_folder_of() derives to poll `sent_folder` of the
  // mailbox of that name.
  std::string sent_folder_of;
  int poll_seconds = defaults::poll_seconds;
  // Wait for new mail between polls (IMAP IDLE on a second connection, inotify on a Maildir) and
  // take it at once; false: the poll only.
  bool watch = true;
  std::string start = "now";          // first run: now | all | since:YYYY-MM-DD
  // The public address residents write to (urbanisme@…): From and Reply-To of what guichet
  // sends about this mailbox's mail, and the town's own address (never acknowledged).
  // Default: `user` when it is an address.
  std::string address;
};

struct Smtp {
  std::string url;                    // smtp://host:587, smtps://host, or maildir:///path (demo)
  std::string user;
  SecretRef password;                 // password_file, password_env or password_credential
  SecretRef oauth2_token;             // oauth2_token_file
  std::optional<OAuth2> oauth2;       // or guichet fetches the token itself
  std::string tls = "required";
  std::string tls_ca_file;            // trust this CA besides the system's
  int timeout_seconds = defaults::smtp_timeout_seconds;  // connect and whole-transaction timeout
  int retry_hours = defaults::retry_hours;  // 4xx and network errors are retried this long, then failed
  std::string from;                   // sender when no mailbox applies (default: the department's email)
};

// A procedure agents may name in a `Procédure :` command (README, "Commands"): what silence means
// and after how long.
struct Procedure {
  std::string name;   // as written after "Procédure :", matched case- and accent-insensitively
  std::string label;  // for letters: "Déclaration préalable de travaux"
  std::string silence = "rejection";  // acceptance | rejection | none
  std::string delay = "2 mois";
};

// The deadline scanner and the daily digest (README, "Deadlines").
struct Deadlines {
  int every_minutes = defaults::deadlines_every_minutes;  // how often `serve` scans
  int digest_minute = defaults::digest_minute_of_day;    // digest_at: "08:00", the commune's time; -1: off
  int unanswered_days = defaults::digest_unanswered_days;  // the digest lists what waits longer
  // working_hours: "09:00-17:00", for the figures in working hours (stats).
  int day_start_minute = defaults::working_day_start_minute, day_end_minute = defaults::working_day_end_minute;
};

// The web view, `guichet web` (README, "The web view").
struct Web {
  std::string listen{defaults::web_listen};  // host:port, or unix:/path/to/socket
  std::string base_url;                      // the address people open, for login links (https://…)
  std::string trusted_proxy;                 // the reverse proxy's address: X-Forwarded-For is believed from it
  std::string proxy_user_header;             // with trusted_proxy: the header naming the person (SSO)
  int session_idle_days = defaults::web_session_idle_days;  // a session unused this long ends
  int link_minutes = defaults::web_link_minutes;            // a login link works this long, once
};

// How long residents' personal data is kept (README, "Retention and RGPD"): past it, `guichet
// purge` (and `serve`, once a day) leaves an anonymous tombstone. A key left out: kept until
// someone decides.
struct Retention {
  std::string closed;   // closed requests, from the day they were closed: "5 ans"
  std::string machine;  // machine mail kept apart (out-of-office, reports), from receipt: "1 an"
  bool any() const { return !closed.empty() || !machine.empty(); }
};

// RFC 3834 loop brakes: acknowledgements to one address.
struct Acknowledgements {
  int per_day = defaults::acknowledgements_per_day;
  int per_week = defaults::acknowledgements_per_week;
};

struct Config {
  std::string file;                   // where it was read from; empty: built-in defaults
  std::string commune;
  std::string database{defaults::database};
  std::string reference_prefix{defaults::reference_prefix};  // the subject tag: [Réf. 2026-000042]
  std::string timezone{defaults::timezone};                  // the commune's: dates of receipt, reference years
  std::string calendar = "metropole";  // public holidays: metropole | alsace-moselle
  std::string directory;              // departments and agents (directory.yaml)
  std::string rules;                  // a file, or a folder of *.yaml read in name order
  std::string templates;              // folder of *.mustache
  std::vector<Mailbox> mailboxes;
  std::optional<Smtp> smtp;
  Acknowledgements acknowledgements;
  Deadlines deadlines;
  Web web;
  Retention retention;
  std::string admin;                  // address told when a mailbox keeps failing
  int alert_after_minutes = defaults::alert_after_minutes;  // … for this long

  // Agents' answers by mail (README, "How agents answer").
  char address_separator = '+';       // sub-addressing: urbanisme+r.2026-000042….@
  std::string trusted_authserv_id;    // the town's receiving server: its Authentication-Results must pass
  SecretRef token_key;                // token_key_file / token_key_credential; default: kept in the database
  std::vector<Procedure> procedures;  // named procedures for `Procédure :`
  std::string missing_pieces_delay{defaults::missing_pieces_delay};  // the resident's deadline to send them

  // Every address the town receives on (mailboxes' addresses and users): never acknowledged.
  std::vector<std::string> own_addresses() const;

  const Mailbox* mailbox(const std::string& name) const;
};

// Loads `path`. When `path` is the default and does not exist, returns the defaults.
// Every problem is reported at once, one "file:line:column: message" per line (Errc::config).
Result<Config> load(const std::string& path);

// Every key the reader accepts, by the map it stands in: guichet.yaml(5) documents each.
std::vector<yaml::Keys> accepted_keys();

// Loads from text; `name` is used in error messages and `base_dir` resolves relative paths.
Result<Config> parse(const std::string& text, const std::string& name, const std::string& base_dir);

}  // namespace guichet::config
