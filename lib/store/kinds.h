// The closed vocabularies the database stores as text: request statuses, outbox kinds and
// statuses. Code uses the enums; the names are the stable strings of the schema, the JSON output
// (docs/json.md) and the command line.
#pragma once

#include <optional>
#include <string_view>

namespace guichet::store {

// A request's lifecycle (README, "Requests"): new, answered (an answer reached or was left for
// the resident), waiting (on the resident), open (the resident wrote again), closed.
enum class RequestStatus { new_request, open, answered, waiting, closed };
inline constexpr RequestStatus kRequestStatuses[] = {RequestStatus::new_request, RequestStatus::open,
                                                     RequestStatus::answered, RequestStatus::waiting,
                                                     RequestStatus::closed};

// Why a mail was queued.
enum class OutboxKind {
  acknowledgement,       // to the resident, once per request: at once, registration or full receipt
  full_acknowledgement,  // to the resident, once: the full receipt after a registration receipt (R112-11-2)
  missing_pieces,        // to the resident: the full receipt naming what is missing (L114-5)
  notification,          // to the agent in charge: a new request
  transfer,         // to the resident: the request moved to another service
  reminder,         // to an agent: a deadline is near, a resident chases
  escalation,       // to a head, the pilot: a deadline passed, nobody owns a request
  digest,           // the daily list
  alert,            // to the admin: a mailbox fails, recovers
  failure,          // to the service: a mail to a resident could not be delivered
  answer,           // an agent's answer relayed to the resident
  receipt,          // to an agent: what their commands did, why an answer was refused or held
  login,            // a one-time link to the web view
};
inline constexpr OutboxKind kOutboxKinds[] = {
    OutboxKind::acknowledgement, OutboxKind::full_acknowledgement, OutboxKind::missing_pieces,
    OutboxKind::notification,    OutboxKind::transfer,             OutboxKind::reminder,
    OutboxKind::escalation,      OutboxKind::digest,       OutboxKind::alert,    OutboxKind::failure,
    OutboxKind::answer,          OutboxKind::receipt,      OutboxKind::login};

// queued → sent | failed | bounced; held: an answer kept back (a colleague answered first);
// cancelled: a reminder or an escalation whose request was closed before it could go.
enum class OutboxStatus { queued, sent, failed, bounced, held, cancelled };
inline constexpr OutboxStatus kOutboxStatuses[] = {OutboxStatus::queued,  OutboxStatus::sent, OutboxStatus::failed,
                                                   OutboxStatus::bounced, OutboxStatus::held, OutboxStatus::cancelled};

const char* name(RequestStatus s);
const char* name(OutboxKind k);
const char* name(OutboxStatus s);
std::optional<RequestStatus> parse_request_status(std::string_view s);
std::optional<OutboxKind> parse_outbox_kind(std::string_view s);
std::optional<OutboxStatus> parse_outbox_status(std::string_view s);

}  // namespace guichet::store
