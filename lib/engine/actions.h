// What agents do to a request: transfer it, reassign it, fix its procedure, ask for missing
// pieces, set its priority or status, write an internal note. One engine function each, called by
// the command block of an agent's mail (engine/agent_mail.h), by the command line (guichet
// transfer…) and by the web view, so that every path applies the same rules, writes the same
// history and sends the same mail.
//
// Each change runs in the caller's transaction and records an event; mail it causes (the transfer
// notice to the resident, the full acknowledgement, the notice to a new agent) is queued in the
// same transaction. Commands of one mail are checked together first: a refusal applies nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "directory/directory.h"
#include "engine/commands.h"
#include "engine/options.h"
#include "store/store.h"

namespace guichet::engine {

// Who acts: an authenticated agent (their rights are checked), or an admin at the command line.
struct Actor {
  const directory::Agent* agent = nullptr;
  std::string name;  // for the history: the agent's id, or "admin:<login>"
  bool admin = false;
};

// Agents steer their departments' requests (and those assigned to them); a department's head
// its department's; the pilot service every request. Residents never.
bool may_steer(const directory::Directory& dir, const directory::Agent& agent, const store::RequestInfo& r);

struct CommandResult {
  CommandKey key = CommandKey::unknown;
  std::string written, value;
  bool ok = false;
  std::string text;  // "fait : …" or "refusé : …, valeurs possibles : …"
};

// Checks every command against the request as the earlier ones leave it (a transfer first, then
// an agent of the new service): nothing is applied. A refusal says why and the valid values.
std::vector<CommandResult> check_commands(const std::vector<Command>& commands, const store::RequestInfo& r,
                                          const Actor& actor, const IngestOptions& options);

// Checks, then applies all of them in order, or none when one is refused (results say which).
// `message_row`: the agent's mail, for the history.
Result<std::vector<CommandResult>> apply_commands(store::Store& store, const std::vector<Command>& commands,
                                                  const store::RequestInfo& r, const Actor& actor,
                                                  const IngestOptions& options, std::optional<std::int64_t> message_row,
                                                  std::int64_t now);

// One command, for the command line and the web view: Errc::data with the refusal when refused.
Result<std::string> apply_one(store::Store& store, CommandKey key, const std::string& value,
                              const store::RequestInfo& r, const Actor& actor, const IngestOptions& options,
                              std::int64_t now);

// The missing pieces arrived (a resident's mail on a request waiting for them): the clocks run
// again (acceptance from today, rejection with the days it stood still added), status open.
Result<void> pieces_received(store::Store& store, const store::RequestInfo& r, std::int64_t message_row,
                             const IngestOptions& options, std::int64_t now);

// The full acknowledgement (R112-11-2) after a registration receipt, once the procedure is known.
Result<bool> send_full_acknowledgement(store::Store& store, const store::RequestInfo& r, const IngestOptions& options,
                                       std::int64_t now);

// Tells `agent` a request is theirs (notification-agent, with the reply and note tokens).
Result<void> notify_agent(store::Store& store, const store::RequestInfo& r, const directory::Agent& agent,
                          const std::string& actor, const IngestOptions& options, std::int64_t now);

}  // namespace guichet::engine
