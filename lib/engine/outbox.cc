#include "engine/outbox.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <csignal>

#include "mail/compose.h"
#include "store/outbox.h"
#include "engine/actions.h"
#include "engine/letters.h"
#include "engine/route.h"
#include "templates/letter.h"
#include "util/backoff.h"
#include "util/failpoint.h"
#include "util/json.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::engine {

namespace {

std::string domain_of(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? std::string() : address.substr(at + 1);
}

}  // namespace

std::optional<std::string> automatic_reason(const mail::Message& m) {
  if (m.x_loop.find("guichet@") != std::string::npos) return "our own loop marker (X-Loop: " + m.x_loop + ")";
  if (m.bounce) return std::string("a delivery status notification (bounce)");
  if (m.auto_submitted)
    return "an automatic message" +
           (m.auto_submitted_header.empty() ? std::string() : " (Auto-Submitted: " + m.auto_submitted_header + ")");
  if (m.list) return std::string("list or bulk mail");
  if (m.return_path && m.return_path->empty()) return std::string("a null sender (Return-Path: <>)");
  const std::string from = m.from.empty() ? std::string() : to_lower(m.from.front().address);
  if (!from.empty() && mail::machine_address(from) != mail::MachineAddress::none)
    return "a machine address (" + from + ")";
  return std::nullopt;
}

std::optional<std::string> machine_reason(const mail::Message& m, const std::vector<std::string>& own) {
  if (auto automatic = automatic_reason(m)) return automatic;
  if (m.from.empty() || m.from.front().address.empty()) return std::string("no sender address");
  const std::string from = to_lower(m.from.front().address);
  for (const auto& o : own)
    if (o == from) return "one of the town's own addresses (" + from + ")";
  return std::nullopt;
}

Result<Queued> queue_mail(store::Store& store, store::OutboxKind kind, std::optional<std::int64_t> request_id,
                          mail::Outgoing out, int retry_hours, std::int64_t now, store::OutboxStatus status) {
  if (out.message_id.empty()) out.message_id = mail::new_message_id(domain_of(out.from.address));
  out.date = now;
  out.extra.emplace_back("X-Loop", "guichet@" + domain_of(out.from.address));
  auto bytes = mail::compose(out);
  if (!bytes) return bytes.error();
  store::OutboxMail row;
  row.request_id = request_id;
  row.kind = kind;
  row.message_id = out.message_id;
  row.envelope_from = out.from.address;
  row.recipient = to_lower(out.to.address);
  row.message = std::move(*bytes);
  row.created_at = now;
  row.give_up_at = now + static_cast<std::int64_t>(retry_hours) * 3600;
  row.status = status;
  if (status == store::OutboxStatus::held) row.last_error = "held: a colleague answered first";
  auto id = store.outbox().enqueue(row);
  if (!id) return id.error();
  return Queued{out.message_id, *id};
}

namespace {

// The acknowledgement of a resident without an address, to the agent who recorded the request.
Result<void> hand_over(store::Store& store, const Routed& routed, const templates::Letter& letter,
                       const NewRequestMail& request, const IngestOptions& options, std::int64_t now) {
  if (!options.templates) return make_error(Errc::software, "no templates to write the acknowledgement with");
  auto r = store.request_summary(request.request_id);
  if (!r) return r.error();
  if (!*r) return make_error(Errc::software, "request " + request.reference + " vanished");
  auto text = options.templates->render(routed.template_name, templates::letter_data(letter));
  if (!text) return text.error();
  const directory::Agent& agent = *request.hand_to;
  auto body = render_letter(templates::kHandedAcknowledgement, **r, options, [&](templates::Data& d) {
    templates::Data a;
    a.set("first_name", agent.first_name);
    d.set("agent", a);
    d.set("letter", *text);
    // Unset when empty: an empty string opens a mustache section.
    templates::Data resident;
    resident.set("name", (*r)->requester.name);
    if (!(*r)->requester_phone.empty()) resident.set("phone", (*r)->requester_phone);
    if (!(*r)->requester_postal.empty()) resident.set("postal", (*r)->requester_postal);
    d.set("resident", resident);
    d.set("channel_words", std::string(received_words((*r)->channel)));
  });
  if (!body) return body.error();
  ToAgent m;
  m.subject = "Accus\xC3\xA9 de r\xC3\xA9" "ception \xC3\xA0 remettre";
  m.body = std::move(*body);
  auto sent = mail_agent(store, **r, agent, std::move(m), options, now);
  if (!sent) return sent.error();
  if (routed.template_name == templates::kAcknowledgement) {
    store::RequestChanges c;
    c.full_ack_at = std::optional<std::int64_t>(now);
    if (auto u = store.update_request(request.request_id, c, now); !u) return u;
  }
  return store.add_event(request.request_id, std::nullopt, now, "guichet", "acknowledgement_handed",
                         dump_json(nlohmann::json{{"outbox", sent->outbox_id.value_or(0)},
                                                  {"to", agent.email},
                                                  {"template", routed.template_name}}));
}

}  // namespace

const char* received_words(const std::string& channel) {
  if (channel == "telephone") return "par t\xC3\xA9l\xC3\xA9phone";
  if (channel == "guichet") return "au guichet";
  if (channel == "courrier") return "par courrier";
  return "par courriel";
}

Result<void> queue_for_new_request(store::Store& store, const mail::Message& m, const Routed& routed,
                                   const NewRequestMail& request, const IngestOptions& options, std::int64_t now) {
  const OutgoingPolicy& policy = options.outgoing;
  auto event = [&](const char* kind, const nlohmann::json& detail) {
    return store.add_event(request.request_id, std::nullopt, now, "guichet", kind, dump_json(detail));
  };
  if (!policy.enabled) return event("acknowledgement_suppressed", {{"reason", "no smtp configured"}});

  const directory::Department* service =
      options.directory && routed.department ? options.directory->department(*routed.department) : nullptr;
  // From and Reply-To: the address the resident wrote to, with the service's name, so that the
  // resident's answer comes back to the mailbox guichet reads.
  std::string from_address = policy.mailbox_address;
  if (from_address.empty() && service) from_address = service->email;
  if (from_address.empty()) from_address = policy.fallback_from;
  const mail::Address from{service ? service->name : options.commune, from_address};
  if (!mail::valid_address(from_address))
    return event("acknowledgement_suppressed",
                 {{"reason", "no valid sender address (mailbox address, department email or smtp.from)"}});

  templates::Letter letter = letter_for(routed, m, request.reference, request.arrived, options);
  letter.channel = request.channel;
  std::optional<std::string> reason;
  if (!routed.acknowledge) reason = "the rule says acknowledge: false";
  if (!reason) reason = machine_reason(m, policy.own_addresses);
  const std::string to = m.from.empty() ? std::string() : to_lower(m.from.front().address);
  if (!reason && !mail::valid_address(to)) reason = "the sender's address cannot receive mail (" + to + ")";
  if (!reason) {
    store::Outbox outbox = store.outbox();
    auto day = outbox.acknowledgements_to(to, now - 86400);
    if (!day) return day.error();
    auto week = outbox.acknowledgements_to(to, now - 7 * 86400);
    if (!week) return week.error();
    if (*day >= policy.per_day)
      reason = "limit reached: " + std::to_string(*day) + " acknowledgements to " + to + " in 24 hours";
    else if (*week >= policy.per_week)
      reason = "limit reached: " + std::to_string(*week) + " acknowledgements to " + to + " in 7 days";
  }
  if (reason && request.hand_to && to.empty() && routed.acknowledge) {
    if (auto h = hand_over(store, routed, letter, request, options, now); !h) return h;
  } else if (reason) {
    spdlog::info("{}: no acknowledgement: {}", request.reference, *reason);
    if (auto r = event("acknowledgement_suppressed", {{"reason", *reason}}); !r) return r;
  } else {
    if (!options.templates) return make_error(Errc::software, "no templates to write the acknowledgement with");
    auto body = options.templates->render(routed.template_name, templates::letter_data(letter));
    if (!body) return body.error();
    mail::Outgoing out;
    out.from = from;
    out.reply_to = from;
    out.to = mail::Address{m.from.front().name, to};
    out.subject = mail::tagged_subject(options.threading.reference_prefix, request.reference, m.subject);
    if (!m.message_id.empty()) out.in_reply_to = {m.message_id};
    out.references = m.references;
    if (!m.message_id.empty()) out.references.push_back(m.message_id);
    out.auto_submitted = "auto-replied";
    out.extra.emplace_back("X-Guichet-Reference", request.reference);
    out.body = std::move(*body);
    auto sent = queue_mail(store, store::OutboxKind::acknowledgement, request.request_id, std::move(out),
                           policy.retry_hours, now);
    if (!sent) return sent.error();
    // The resident's answer to the acknowledgement names its Message-ID: it threads here.
    if (auto r = store.add_thread_ids(request.request_id, sent->message_id, {}); !r) return r;
    // The full acknowledgement of R112-11-2 is done when this one carries every mention.
    if (routed.template_name == templates::kAcknowledgement) {
      store::RequestChanges c;
      c.full_ack_at = std::optional<std::int64_t>(now);
      if (auto u = store.update_request(request.request_id, c, now); !u) return u;
    }
    if (auto r = event("acknowledgement_queued", {{"outbox", sent->outbox_id.value_or(0)},
                                                  {"to", to},
                                                  {"template", routed.template_name},
                                                  {"message_id", sent->message_id}});
        !r)
      return r;
  }

  // The agent in charge hears of it, unless the mail came from a machine and nobody decided it
  // was a request (engine/actions.h:
  // the notice carries the tokens that let them answer and steer the request by mail).
  const directory::Agent* agent =
      options.directory && routed.routing.agent ? options.directory->agent(*routed.routing.agent) : nullptr;
  if (agent && mail::valid_address(agent->email) &&
      (request.promoted || request.hand_to || !machine_reason(m, policy.own_addresses)) &&
      options.templates) {
    auto r = store.request_summary(request.request_id);
    if (!r) return r.error();
    if (*r) {
      if (auto n = notify_agent(store, **r, *agent, "guichet", options, now); !n) return n;
    }
  }
  return {};
}

namespace {

// A resident never received what we sent: the request says so and the service hears of it.
Result<void> record_failure(store::Store& store, const store::OutboxMail& row, const std::string& error,
                            const DrainOptions& options, std::int64_t now) {
  if (row.request_id) {
    nlohmann::json detail{{"outbox", row.id}, {"kind", store::name(row.kind)}, {"to", row.recipient}, {"error", error}};
    if (auto r = store.add_event(row.request_id, std::nullopt, now, "guichet", "mail_failed", dump_json(detail)); !r)
      return r;
  }
  // Only what a resident should have received; a notice that fails is the admin's (status, logs).
  const char* what = nullptr;
  if (row.kind == store::OutboxKind::acknowledgement) what = "accus\xC3\xA9 de r\xC3\xA9" "ception";
  if (row.kind == store::OutboxKind::transfer) what = "avis de transfert";
  if (row.kind == store::OutboxKind::answer) what = "r\xC3\xA9ponse d'un agent";
  if (!what || !options.templates) return {};
  templates::Data data;
  data.set("commune", options.commune);
  data.set("reference", row.reference);
  templates::Data f;
  f.set("what", std::string(what));
  f.set("recipient", row.recipient);
  f.set("error", error);
  data.set("failure", f);
  auto body = options.templates->render(templates::kUndelivered, data);
  if (!body) return body.error();
  mail::Outgoing out;
  out.from = mail::Address{"guichet", row.envelope_from};
  out.to = mail::Address{"", row.envelope_from};
  out.subject = "[guichet] Courriel non remis" + (row.reference.empty() ? std::string() : " (" + row.reference + ")");
  out.auto_submitted = "auto-generated";
  out.body = std::move(*body);
  auto sent = queue_mail(store, store::OutboxKind::failure, row.request_id, std::move(out), options.retry_hours, now);
  if (!sent) return sent.error();
  return {};
}

}  // namespace

DrainOptions drain_options(const Setup& setup) {
  DrainOptions o;
  o.templates = &setup.templates;
  o.commune = setup.config.commune;
  if (setup.config.smtp) o.retry_hours = setup.config.smtp->retry_hours;
  return o;
}

Result<DrainStats> drain(store::Store& store, transport::Sender& sender, const Clock& clock,
                         const DrainOptions& options, int limit, const std::function<bool()>& stop) {
  DrainStats stats;
  store::Outbox outbox = store.outbox();
  auto due = outbox.due(clock.now(), limit);
  if (!due) return due.error();
  for (const auto& row : *due) {
    if (stop && stop()) break;
    // A reminder about a request closed since it was queued would only confuse: not sent.
    if ((row.kind == store::OutboxKind::reminder || row.kind == store::OutboxKind::escalation) && row.request_id) {
      auto status = store.request_status(*row.request_id);
      if (!status) return status.error();
      if (*status == store::RequestStatus::closed) {
        auto tx = store.transaction();
        if (!tx) return tx.error();
        if (auto r = outbox.mark_cancelled(row.id, "not sent: the request was closed meanwhile"); !r) return r.error();
        if (auto c = tx->commit(); !c) return c.error();
        ++stats.cancelled;
        spdlog::info("outbox {}: {} to {} cancelled: request closed", row.id, store::name(row.kind), row.recipient);
        continue;
      }
    }
    const transport::SendResult res = sender.send(row.envelope_from, row.recipient, row.message);
    // The one unlucky moment: the server has the mail, the outbox does not know yet (tests die here).
    if (failpoint_active("drain.after_send")) raise(SIGKILL);
    const std::int64_t now = clock.now();
    auto tx = store.transaction();
    if (!tx) return tx.error();
    Result<void> r;
    const char* kind = store::name(row.kind);
    if (res.status == transport::SendResult::Status::sent) {
      r = outbox.mark_sent(row.id, now);
      ++stats.sent;
      spdlog::info("outbox {}: {} to {} sent ({})", row.id, kind, row.recipient, res.detail);
    } else if (const std::int64_t next = now + backoff_seconds(options.backoff, row.attempts + 1);
               res.status == transport::SendResult::Status::temporary && (next <= row.give_up_at || res.setup)) {
      // A refusal of our own set-up (a wrong password over a long weekend) is no reason to give up
      // on the resident's mail: it waits for the admin, however long (`guichet status` says so).
      r = outbox.mark_retry(row.id, next, res.detail);
      ++stats.retried;
      spdlog::warn("outbox {}: {} to {} deferred: {}", row.id, kind, row.recipient, res.detail);
    } else {
      const std::string error = res.status == transport::SendResult::Status::permanent
                                    ? res.detail
                                    : "gave up after " + std::to_string(row.attempts + 1) + " attempts: " + res.detail;
      r = outbox.mark_failed(row.id, error);
      if (r) r = record_failure(store, row, error, options, now);
      ++stats.failed;
      spdlog::error("outbox {}: {} to {} failed: {}", row.id, kind, row.recipient, error);
    }
    if (!r) return r.error();
    if (auto c = tx->commit(); !c) return c.error();
  }
  return stats;
}

Result<bool> queue_alert(store::Store& store, const Setup& setup, const char* template_name,
                         const templates::Data& alert, const std::string& subject, std::int64_t now) {
  const config::Config& c = setup.config;
  if (c.admin.empty() || !c.smtp) return false;
  std::string from = c.smtp->from;
  for (const auto& mb : c.mailboxes)
    if (from.empty() && !mb.address.empty()) from = mb.address;
  if (from.empty()) from = c.admin;
  templates::Data data;
  data.set("commune", c.commune);
  data.set("alert", alert);
  auto body = setup.templates.render(template_name, data);
  if (!body) return body.error();
  mail::Outgoing out;
  out.from = mail::Address{"guichet " + c.commune, from};
  out.to = mail::Address{"", c.admin};
  out.subject = "[guichet] " + subject;
  out.auto_submitted = "auto-generated";
  out.body = std::move(*body);
  auto sent = queue_mail(store, store::OutboxKind::alert, std::nullopt, std::move(out), c.smtp->retry_hours, now);
  if (!sent) return sent.error();
  return true;
}

}  // namespace guichet::engine
