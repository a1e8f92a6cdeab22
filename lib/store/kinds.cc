#include "store/kinds.h"

namespace guichet::store {

const char* name(RequestStatus s) {
  switch (s) {
    case RequestStatus::new_request: return "new";
    case RequestStatus::open: return "open";
    case RequestStatus::answered: return "answered";
    case RequestStatus::waiting: return "waiting";
    case RequestStatus::closed: return "closed";
  }
  return "?";
}

const char* name(OutboxKind k) {
  switch (k) {
    case OutboxKind::acknowledgement: return "acknowledgement";
    case OutboxKind::full_acknowledgement: return "full_acknowledgement";
    case OutboxKind::missing_pieces: return "missing_pieces";
    case OutboxKind::notification: return "notification";
    case OutboxKind::transfer: return "transfer";
    case OutboxKind::reminder: return "reminder";
    case OutboxKind::escalation: return "escalation";
    case OutboxKind::digest: return "digest";
    case OutboxKind::alert: return "alert";
    case OutboxKind::failure: return "failure";
    case OutboxKind::answer: return "answer";
    case OutboxKind::receipt: return "receipt";
    case OutboxKind::login: return "login";
  }
  return "?";
}

const char* name(OutboxStatus s) {
  switch (s) {
    case OutboxStatus::queued: return "queued";
    case OutboxStatus::sent: return "sent";
    case OutboxStatus::failed: return "failed";
    case OutboxStatus::bounced: return "bounced";
    case OutboxStatus::held: return "held";
    case OutboxStatus::cancelled: return "cancelled";
  }
  return "?";
}

namespace {
template <class E, size_t N>
std::optional<E> parse(std::string_view s, const E (&all)[N]) {
  for (E e : all)
    if (s == name(e)) return e;
  return std::nullopt;
}
}  // namespace

std::optional<RequestStatus> parse_request_status(std::string_view s) { return parse(s, kRequestStatuses); }
std::optional<OutboxKind> parse_outbox_kind(std::string_view s) { return parse(s, kOutboxKinds); }
std::optional<OutboxStatus> parse_outbox_status(std::string_view s) { return parse(s, kOutboxStatuses); }

}  // namespace guichet::store
