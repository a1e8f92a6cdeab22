// What ingest needs to know besides the mail: where it came from, how to route it, what may be
// sent in answer. Built from the loaded Setup by ingest_options() (engine/setup.h); every default
// comes from lib/defaults.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "calendar/calendar.h"
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

struct IngestOptions {
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
  bool dry_run = false;  // decide, but write nothing
};

}  // namespace guichet::engine
