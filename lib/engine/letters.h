// Mail about a stored request: to its resident (in their conversation, from the service in
// charge) and to agents (with the reply token that lets them answer and steer it by mail).
// Every later mail guichet writes goes through these two functions; the first acknowledgement
// and notice of a new request are written by engine/outbox.h from the routing decision.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "directory/directory.h"
#include "engine/options.h"
#include "engine/outbox.h"
#include "mail/compose.h"
#include "store/store.h"
#include "templates/letter.h"
#include "tokens/tokens.h"

namespace guichet::engine {

// The variables of a letter about `r` as it stands now (service, agent, clocks, missing pieces).
templates::Letter letter_of(const store::RequestInfo& r, const IngestOptions& options);

// The address mail to the resident comes from: the department's, else the address of the
// mailbox the request came in, else smtp.from.
std::string service_address(const store::RequestInfo& r, const IngestOptions& options);
// An address guichet reads, for reply tokens: the request's mailbox, else the department's.
std::string reading_address(const store::RequestInfo& r, const IngestOptions& options);

// To the resident, in their conversation: From and Reply-To the service, Subject "[Réf. …] …",
// In-Reply-To their last mail, References the whole exchange.
struct ToResident {
  ToResident() = default;
  ToResident(store::OutboxKind k, std::string text) : kind(k), body(std::move(text)) {}
  store::OutboxKind kind = store::OutboxKind::answer;
  std::string body;
  std::vector<mail::OutgoingAttachment> attachments;
  std::string auto_submitted = "auto-replied";  // "" for a human's answer
  store::OutboxStatus status = store::OutboxStatus::queued;
};
Result<Queued> mail_resident(store::Store& store, const store::RequestInfo& r, ToResident mail,
                             const IngestOptions& options, std::int64_t now);

// To an agent, about `r`: Reply-To carries `reply` (an answer token by default), the Message-ID
// and a marker line too, so that a reply whose headers a server rewrote is still recognised.
struct ToAgent {
  store::OutboxKind kind = store::OutboxKind::receipt;
  std::string subject;  // tagged with the reference
  std::string body;
  std::optional<tokens::Token> reply;  // nullopt: no token (nothing to answer)
};
Result<Queued> mail_agent(store::Store& store, const store::RequestInfo& r, const directory::Agent& agent,
                          ToAgent mail, const IngestOptions& options, std::int64_t now);

// To someone who is not in the directory (a department's `escalation` address): from the service,
// no token (nothing to answer).
Result<Queued> mail_address(store::Store& store, const store::RequestInfo& r, const mail::Address& to,
                            store::OutboxKind kind, const std::string& subject, std::string body,
                            const IngestOptions& options, std::int64_t now);

// The answer token of `agent` on `r` at its current answer version, and the note address.
tokens::Token answer_token(const store::RequestInfo& r, const directory::Agent& agent);
std::string note_address(const store::RequestInfo& r, const directory::Agent& agent, const IngestOptions& options);

// Renders `name` with the letter of `r` and the extra variables `more` (set on top).
Result<std::string> render_letter(const std::string& name, const store::RequestInfo& r, const IngestOptions& options,
                                  const std::function<void(templates::Data&)>& more = {});

}  // namespace guichet::engine
