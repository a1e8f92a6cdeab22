// What ingest needs to know besides the mail: where it came from, how to route it, what may be
// sent in answer. Built from the loaded Setup by ingest_options() (engine/setup.h); every default
// comes from lib/defaults.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "calendar/calendar.h"
#include "config/config.h"
#include "defaults/defaults.h"
#include "directory/directory.h"
#include "mail/parse.h"
#include "routing/rules.h"
#include "templates/templates.h"
#include "threading/decide.h"

namespace guichet::engine {

// What may be sent in answer to a mail, and from where (config: smtp, mailboxes, acknowledgements).
struct OutgoingPolicy {
  bool enabled = false;         // an smtp section exists: acknowledgements are queued
  std::string mailbox_address;  // the public address of the mailbox the mail came in
  std::string fallback_from;    // smtp.from
  std::vector<std::string> own_addresses;  // the town's: never acknowledged
  int per_day = defaults::acknowledgements_per_day;
  int per_week = defaults::acknowledgements_per_week;
  int retry_hours = defaults::retry_hours;
};

// Agents' answers and commands by mail (README, "How agents answer").
struct AgentPolicy {
  std::string token_key;         // empty: no token is written or honoured (engine/token_key.h)
  char separator = '+';          // sub-addressing
  std::string trusted_authserv_id;  // the town's receiving server, when its Authentication-Results count
  // The agent for whom guichet composed this mail itself (`guichet new`, the web view's "Nouvelle
  // demande"), having authenticated them: its From needs no Authentication-Results.
  std::string recorded_by;
  const std::vector<config::Procedure>* procedures = nullptr;
  calendar::Delay missing_pieces_delay{1, calendar::Delay::Unit::months};
};

struct IngestOptions {
  const config::Config* config = nullptr;  // the mailboxes' addresses, for mail about a request
  std::string mailbox;                    // the configured mailbox the mail came from, for rules
  std::optional<std::string> department;  // the mailbox's default department
  // Routing (optional): rules decide department, agent and procedure of each new request.
  const routing::RuleSet* rules = nullptr;
  const directory::Directory* directory = nullptr;
  const templates::TemplateSet* templates = nullptr;
  std::string commune;
  calendar::Region region = calendar::Region::metropole;
  mail::ParseLimits limits;
  threading::ThreadingPolicy threading;
  OutgoingPolicy outgoing;
  AgentPolicy agents;
  // The mailbox's Sent folder (`sent_folder`): what the shared box sent. Never a new request;
  // guichet's own mail is skipped, an answer to a resident is recorded on its request.
  bool sent_folder = false;
  bool dry_run = false;  // decide, but write nothing
};

}  // namespace guichet::engine
