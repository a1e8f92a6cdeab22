// A commune for engine tests: the shipped directory and rules, a database, an SMTP server on
// loopback (aiosmtpd), a fixed clock, and the way residents and agents write (Outlook,
// Thunderbird). Mail is ingested in-process, as the daemon does, and the outbox drained into the
// real SMTP server.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "engine/connections.h"
#include "engine/ingest.h"
#include "engine/outbox.h"
#include "engine/setup.h"
#include "engine/token_key.h"
#include "helpers.h"
#include "mail/parse.h"
#include "servers.h"
#include "store/store.h"

namespace guichet::test {

class Town {
 public:
  // `extra`: more lines of guichet.yaml (top-level keys).
  explicit Town(const std::string& extra = "", const std::string& directory = "");

  TempDir dir;
  SmtpServer smtp;
  FixedClock clock{1796290200};  // Thursday 3 December 2026, 10:30 in Paris
  std::shared_ptr<const engine::Setup> setup;
  std::optional<store::Store> st;

  std::string config_path() const { return dir.str("guichet.yaml"); }
  std::string args() const { return "--config '" + config_path() + "'"; }
  engine::IngestOptions options(const std::string& mailbox = "voirie");
  engine::Outcome ingest(const std::string& raw, const std::string& mailbox = "voirie");
  engine::DrainStats drain();
  void days_later(int days) { clock.set(clock.now() + days * 86400); }

  store::RequestInfo request(const std::string& reference);
  std::vector<store::OutboxMail> outbox(const std::string& kind = "", std::optional<std::int64_t> request_id = {});
  // The composed message of an outbox row, parsed.
  mail::Message outbox_message(std::int64_t id);
  std::string outbox_raw(std::int64_t id);
  // Events of one kind, as JSON.
  std::vector<nlohmann::json> events(const std::string& reference, const std::string& kind);
  // The notice the agent received for `reference` (the last one to `agent_email`).
  mail::Message notice(const std::string& reference, const std::string& agent_email);
};

// "Received: …; <date>": the hop of the town's server, which says when a mail arrived.
std::string received_header(std::int64_t when);

// A resident's mail.
std::string resident_mail(const std::string& id, const std::string& subject,
                          const std::string& from = "Léa Martin <lea.martin@example.org>",
                          const std::string& to = "voirie@champignac.example", const std::string& extra_headers = "",
                          const std::string& body = "Bonjour,\r\nle lampadaire devant l'école est éteint.\r\nLéa\r\n");

// An agent's reply to `notice`, the way a client writes it: `answer` on top, the notice quoted
// below. Outlook: no In-Reply-To or References, a Thread-Index, "De : … Envoyé : …".
// Thunderbird: In-Reply-To and References, "Le … a écrit :" and "> " quotes.
enum class Client { outlook, thunderbird, gmail_html };
std::string agent_reply(const mail::Message& notice, const std::string& from, const std::string& answer, Client client,
                        const std::string& message_id, const std::string& extra_headers = "");

}  // namespace guichet::test
