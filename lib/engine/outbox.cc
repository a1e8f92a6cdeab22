#include "engine/outbox.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <random>

#include "mail/compose.h"
#include "store/outbox.h"
#include "templates/letter.h"
#include "util/failpoint.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::engine {

namespace {

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string domain_of(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? std::string() : address.substr(at + 1);
}

// Local parts of addresses that are machines, with '-', '_' and '.' removed and accents stripped.
bool machine_local_part(std::string local) {
  local = to_lower(strip_accents(local));
  std::string squeezed;
  for (char c : local)
    if (c != '-' && c != '_' && c != '.') squeezed.push_back(c);
  for (const char* p : {"noreply", "nepasrepondre", "donotreply", "dontreply", "mailerdaemon", "postmaster", "bounce",
                        "listserv", "majordomo"}) {
    if (squeezed.rfind(p, 0) == 0) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> machine_reason(const mail::Message& m, const std::vector<std::string>& own) {
  if (m.x_loop.find("guichet@") != std::string::npos) return "our own loop marker (X-Loop: " + m.x_loop + ")";
  if (m.bounce) return std::string("a delivery status notification (bounce)");
  if (m.auto_submitted)
    return "an automatic message" +
           (m.auto_submitted_header.empty() ? std::string() : " (Auto-Submitted: " + m.auto_submitted_header + ")");
  if (m.list) return std::string("list or bulk mail");
  if (m.return_path && m.return_path->empty()) return std::string("a null sender (Return-Path: <>)");
  if (m.from.empty() || m.from.front().address.empty()) return std::string("no sender address");
  const std::string from = to_lower(m.from.front().address);
  const std::string local = from.substr(0, from.find('@'));
  if (machine_local_part(local)) return "a machine address (" + from + ")";
  for (const auto& o : own)
    if (o == from) return "one of the town's own addresses (" + from + ")";
  return std::nullopt;
}

std::vector<std::string> returned_message_ids(const mail::Message& dsn) {
  std::vector<std::string> ids;
  auto scan = [&ids](std::string_view text) {
    size_t pos = 0;
    while ((pos = text.find("essage-", pos)) != std::string_view::npos) {
      // "Message-ID:" / "Message-Id:" at the start of a line, any case.
      const size_t start = pos >= 1 ? pos - 1 : 0;
      pos += 7;
      if (start > 0 && text[start - 1] != '\n') continue;
      if (text.size() < start + 11 || to_lower(text.substr(start, 11)) != "message-id:") continue;
      const size_t open = text.find('<', start);
      const size_t eol = text.find('\n', start);
      if (open == std::string_view::npos || (eol != std::string_view::npos && open > eol)) continue;
      const size_t close = text.find('>', open);
      if (close == std::string_view::npos) continue;
      ids.emplace_back(text.substr(open + 1, close - open - 1));
    }
  };
  for (const auto& a : dsn.attachments) {
    if (a.content_type == "text/rfc822-headers" || a.content_type == "message/rfc822" ||
        a.content_type == "message/rfc822-headers")
      scan(a.content);
  }
  scan(dsn.text);
  return ids;
}

namespace {

struct Sent {
  std::string message_id;
  std::optional<std::int64_t> outbox_id;
};

Result<Sent> queue_mail(store::Store& store, const std::string& kind, std::optional<std::int64_t> request_id,
                        mail::Outgoing out, const IngestOptions& options, std::int64_t now) {
  out.message_id = mail::new_message_id(domain_of(out.from.address));
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
  row.give_up_at = now + static_cast<std::int64_t>(options.outgoing.retry_hours) * 3600;
  store::Outbox outbox(store.database());
  auto id = outbox.enqueue(row);
  if (!id) return id.error();
  return Sent{out.message_id, *id};
}

}  // namespace

Result<void> queue_for_new_request(store::Store& store, const mail::Message& m, const Routed& routed,
                                   const NewRequestMail& request, const IngestOptions& options, std::int64_t now) {
  const OutgoingPolicy& policy = options.outgoing;
  auto event = [&](const char* kind, const nlohmann::json& detail) {
    return store.add_event(request.request_id, std::nullopt, now, "guichet", kind, dump(detail));
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

  const templates::Letter letter = letter_for(routed, m, request.reference, request.arrived, options);
  std::optional<std::string> reason;
  if (!routed.acknowledge) reason = "the rule says acknowledge: false";
  if (!reason) reason = machine_reason(m, policy.own_addresses);
  const std::string to = m.from.empty() ? std::string() : to_lower(m.from.front().address);
  if (!reason && !mail::valid_address(to)) reason = "the sender's address cannot receive mail (" + to + ")";
  if (!reason) {
    store::Outbox outbox(store.database());
    auto day = outbox.acknowledgements_to(to, now - 86400);
    if (!day) return day.error();
    auto week = outbox.acknowledgements_to(to, now - 7 * 86400);
    if (!week) return week.error();
    if (*day >= policy.per_day)
      reason = "limit reached: " + std::to_string(*day) + " acknowledgements to " + to + " in 24 hours";
    else if (*week >= policy.per_week)
      reason = "limit reached: " + std::to_string(*week) + " acknowledgements to " + to + " in 7 days";
  }
  if (reason) {
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
    auto sent = queue_mail(store, "acknowledgement", request.request_id, std::move(out), options, now);
    if (!sent) return sent.error();
    // The resident's answer to the acknowledgement names its Message-ID: it threads here.
    if (auto r = store.add_thread_ids(request.request_id, sent->message_id, {}); !r) return r;
    if (auto r = event("acknowledgement_queued", {{"outbox", sent->outbox_id.value_or(0)},
                                                  {"to", to},
                                                  {"template", routed.template_name},
                                                  {"message_id", sent->message_id}});
        !r)
      return r;
  }

  // The agent in charge hears of it, unless the mail came from a machine.
  const directory::Agent* agent =
      options.directory && routed.routing.agent ? options.directory->agent(*routed.routing.agent) : nullptr;
  if (agent && !agent->email.empty() && mail::valid_address(agent->email) && !machine_reason(m, policy.own_addresses) &&
      options.templates) {
    templates::Letter notice = letter;
    notice.agent = agent;  // the agent is named to themself, anonymous or not
    auto data = templates::letter_data(notice);
    auto body = options.templates->render(templates::kAgentNotification, data);
    if (!body) return body.error();
    mail::Outgoing out;
    out.from = mail::Address{"guichet " + (service ? service->name : options.commune), from_address};
    out.reply_to = out.from;
    out.to = mail::Address{agent->first_name + " " + agent->last_name, agent->email};
    out.subject =
        mail::tagged_subject(options.threading.reference_prefix, request.reference,
                             "Nouvelle demande : " + (m.subject.empty() ? std::string("(sans objet)") : m.subject));
    out.auto_submitted = "auto-generated";
    out.extra.emplace_back("X-Guichet-Reference", request.reference);
    out.body = std::move(*body);
    auto sent = queue_mail(store, "notification", request.request_id, std::move(out), options, now);
    if (!sent) return sent.error();
    if (auto r = event("notification_queued", {{"outbox", sent->outbox_id.value_or(0)}, {"to", agent->email}}); !r)
      return r;
  }
  return {};
}

namespace {

std::int64_t backoff(const RetryPolicy& p, int attempts) {
  double delay = p.first_delay;
  for (int i = 0; i < attempts && delay < p.max_delay; ++i) delay *= 2;
  delay = std::min<double>(delay, p.max_delay);
  // ±20 % so that many mails failing together do not come back together.
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  return static_cast<std::int64_t>(delay * jitter(rng));
}

// A resident never received what we sent: the request says so and the service hears of it.
Result<void> record_failure(store::Store& store, const store::OutboxMail& row, const std::string& error,
                            std::int64_t now) {
  if (row.request_id) {
    nlohmann::json detail{{"outbox", row.id}, {"kind", row.kind}, {"to", row.recipient}, {"error", error}};
    if (auto r = store.add_event(row.request_id, std::nullopt, now, "guichet", "mail_failed", dump(detail)); !r)
      return r;
  }
  if (row.kind != "acknowledgement" && row.kind != "transfer") return {};
  mail::Outgoing out;
  out.from = mail::Address{"guichet", row.envelope_from};
  out.to = mail::Address{"", row.envelope_from};
  out.subject = "[guichet] Courriel non remis" + (row.reference.empty() ? std::string() : " (" + row.reference + ")");
  out.auto_submitted = "auto-generated";
  out.body = "Bonjour,\n\nLe courriel de guichet (" +
             std::string(row.kind == "acknowledgement" ? "accusé de réception" : "avis de transfert") + ") adressé à " +
             row.recipient + (row.reference.empty() ? std::string() : " pour la demande " + row.reference) +
             " n'a pas pu être remis :\n\n    " + error +
             "\n\nLe demandeur n'a donc pas reçu cet envoi. Vérifiez son adresse et contactez-le par un autre moyen si "
             "besoin (téléphone, courrier).\n\n-- \nguichet\n";
  IngestOptions options;  // the defaults: retry horizon
  auto sent = queue_mail(store, "failure", row.request_id, std::move(out), options, now);
  if (!sent) return sent.error();
  return {};
}

}  // namespace

Result<DrainStats> drain(store::Store& store, transport::Sender& sender, const Clock& clock, int limit,
                         const std::function<bool()>& stop, const RetryPolicy& retry) {
  DrainStats stats;
  store::Outbox outbox(store.database());
  auto due = outbox.due(clock.now(), limit);
  if (!due) return due.error();
  for (const auto& row : *due) {
    if (stop && stop()) break;
    const transport::SendResult res = sender.send(row.envelope_from, row.recipient, row.message);
    // The one unlucky moment: the server has the mail, the outbox does not know yet (tests die here).
    if (failpoint_active("drain.after_send")) raise(SIGKILL);
    const std::int64_t now = clock.now();
    auto tx = store.transaction();
    if (!tx) return tx.error();
    Result<void> r;
    if (res.status == transport::SendResult::Status::sent) {
      r = outbox.mark_sent(row.id, now);
      ++stats.sent;
      spdlog::info("outbox {}: {} to {} sent ({})", row.id, row.kind, row.recipient, res.detail);
    } else if (const std::int64_t next = now + backoff(retry, row.attempts);
               res.status == transport::SendResult::Status::temporary && next <= row.give_up_at) {
      r = outbox.mark_retry(row.id, next, res.detail);
      ++stats.retried;
      spdlog::warn("outbox {}: {} to {} deferred: {}", row.id, row.kind, row.recipient, res.detail);
    } else {
      const std::string error = res.status == transport::SendResult::Status::permanent
                                    ? res.detail
                                    : "gave up after " + std::to_string(row.attempts + 1) + " attempts: " + res.detail;
      r = outbox.mark_failed(row.id, error);
      if (r) r = record_failure(store, row, error, now);
      ++stats.failed;
      spdlog::error("outbox {}: {} to {} failed: {}", row.id, row.kind, row.recipient, error);
    }
    if (!r) return r.error();
    if (auto c = tx->commit(); !c) return c.error();
  }
  return stats;
}

}  // namespace guichet::engine

namespace guichet::engine {

Result<bool> queue_alert(store::Store& store, const Setup& setup, const std::string& subject, const std::string& body,
                         std::int64_t now) {
  const config::Config& c = setup.config;
  if (c.admin.empty() || !c.smtp) return false;
  std::string from = c.smtp->from;
  for (const auto& mb : c.mailboxes)
    if (from.empty() && !mb.address.empty()) from = mb.address;
  if (from.empty()) from = c.admin;
  mail::Outgoing out;
  out.from = mail::Address{"guichet " + c.commune, from};
  out.to = mail::Address{"", c.admin};
  out.subject = "[guichet] " + subject;
  out.auto_submitted = "auto-generated";
  out.body = body + "\n\n-- \nguichet" + (c.commune.empty() ? std::string() : ", " + c.commune) + "\n";
  IngestOptions options = ingest_options(setup, "");
  auto sent = queue_mail(store, "alert", std::nullopt, std::move(out), options, now);
  if (!sent) return sent.error();
  return true;
}

}  // namespace guichet::engine
