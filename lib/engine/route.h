// Routing a new request: which department and agent own it, what silence will mean and when, and
// which acknowledgement it gets (README, "Routing rules").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "calendar/calendar.h"
#include "directory/directory.h"
#include "engine/options.h"
#include "mail/message.h"
#include "routing/rules.h"
#include "store/store.h"
#include "templates/letter.h"

namespace guichet::engine {

// Who takes a new request of `department`: the rule's agent (or its backup or the head when
// absent), the next available member after the last one assigned (round-robin), the available
// member with the fewest open requests (least-loaded), else the head.
Result<std::optional<std::string>> choose_agent(store::Store& store, const directory::Directory& dir,
                                                const std::optional<std::string>& rule_agent,
                                                const std::string& department, calendar::Date on);

// What routing decides for a new request: department (the rules', else the mailbox's), agent,
// priority, tags, procedure and its deemed-decision date, and the acknowledgement to send.
struct Routed {
  routing::Evaluation evaluation;  // matched rules; a line per test when asked for a trace
  std::optional<std::string> department;
  store::Routing routing;
  std::optional<calendar::Date> deemed_decision_on;
  std::string template_name;  // of the acknowledgement
  bool acknowledge = true;
};
Result<Routed> route(store::Store& store, const mail::Message& m, const IngestOptions& options, std::int64_t arrived,
                     bool trace = false);

// The date the department's response target (`response_target` in the directory) falls on for mail
// received at `arrived`, in working days of the region; nullopt without a target.
std::optional<std::string> response_due_on(const std::optional<std::string>& department, std::int64_t arrived,
                                           const IngestOptions& options);

// The variables of the acknowledgement of a request routed this way.
templates::Letter letter_for(const Routed& routed, const mail::Message& m, const std::string& reference,
                             std::int64_t arrived, const IngestOptions& options);

}  // namespace guichet::engine
