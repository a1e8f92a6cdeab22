#include "engine/letters.h"

#include "mail/address.h"
#include "util/strings.h"

namespace guichet::engine {

namespace {

std::optional<calendar::Date> parse_iso_date(const std::optional<std::string>& s) {
  if (!s || s->size() != 10) return std::nullopt;
  try {
    return calendar::Date{std::stoi(s->substr(0, 4)), std::stoi(s->substr(5, 2)), std::stoi(s->substr(8, 2))};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string domain_of(const std::string& address) {
  const auto at = address.rfind('@');
  return at == std::string::npos ? std::string() : address.substr(at + 1);
}

std::string mailbox_address(const std::string& mailbox, const IngestOptions& options) {
  if (options.config) {
    if (const auto* mb = options.config->mailbox(mailbox); mb && !mb->address.empty()) return mb->address;
  }
  return "";
}

const directory::Department* department_of(const store::RequestInfo& r, const IngestOptions& options) {
  return options.directory && r.department ? options.directory->department(*r.department) : nullptr;
}

}  // namespace

templates::Letter letter_of(const store::RequestInfo& r, const IngestOptions& options) {
  templates::Letter l;
  l.commune = options.commune;
  l.reference = r.reference;
  l.subject = r.subject;
  l.received_at = r.received_at;
  l.resident = r.requester;
  l.service = department_of(r, options);
  if (options.directory && r.agent) l.agent = options.directory->agent(*r.agent);
  l.silence = r.silence;
  l.delay = r.delay;
  l.deemed_decision_on = parse_iso_date(r.deemed_decision_on);
  l.missing = r.missing;
  l.missing_deadline = parse_iso_date(r.missing_deadline);
  l.mailbox = r.mailbox;
  l.channel = r.channel;
  return l;
}

std::string service_address(const store::RequestInfo& r, const IngestOptions& options) {
  if (const auto* d = department_of(r, options); d && mail::valid_address(d->email)) return d->email;
  if (auto a = mailbox_address(r.mailbox, options); !a.empty()) return a;
  if (!options.outgoing.mailbox_address.empty()) return options.outgoing.mailbox_address;
  return options.outgoing.fallback_from;
}

std::string reading_address(const store::RequestInfo& r, const IngestOptions& options) {
  if (auto a = mailbox_address(r.mailbox, options); !a.empty()) return a;
  if (!options.outgoing.mailbox_address.empty()) return options.outgoing.mailbox_address;
  return service_address(r, options);
}

Result<Queued> mail_resident(store::Store& store, const store::RequestInfo& r, ToResident m,
                             const IngestOptions& options, std::int64_t now) {
  if (!mail::valid_address(r.requester.address))
    return make_error(Errc::data,
                      r.reference + ": the requester's address cannot receive mail (" + r.requester.address + ")");
  const std::string from_address = service_address(r, options);
  if (!mail::valid_address(from_address))
    return make_error(Errc::config, r.reference +
                                        ": no address to write from (department email, mailbox address "
                                        "or smtp.from)");
  const auto* service = department_of(r, options);
  auto conv = store.conversation(r.id);
  if (!conv) return conv.error();
  mail::Outgoing out;
  out.from = mail::Address{service ? service->name : options.commune, from_address};
  out.reply_to = out.from;
  out.to = r.requester;
  out.subject = mail::tagged_subject(options.threading.reference_prefix, r.reference, r.subject);
  if (!conv->last_from_resident.empty()) out.in_reply_to = {conv->last_from_resident};
  out.references = conv->ids;
  out.auto_submitted = m.auto_submitted;
  out.extra.emplace_back("X-Guichet-Reference", r.reference);
  out.body = std::move(m.body);
  out.attachments = std::move(m.attachments);
  return queue_mail(store, m.kind, r.id, std::move(out), options.outgoing.retry_hours, now, m.status);
}

tokens::Token answer_token(const store::RequestInfo& r, const directory::Agent& agent) {
  return tokens::Token{tokens::Kind::answer, r.reference, agent.id, r.answer_version};
}

std::string note_address(const store::RequestInfo& r, const directory::Agent& agent, const IngestOptions& options) {
  if (options.agents.token_key.empty()) return reading_address(r, options);
  return tokens::reply_address(reading_address(r, options), options.agents.separator,
                               tokens::Token{tokens::Kind::note, r.reference, agent.id, 0}, options.agents.token_key);
}

namespace {

// What every mail guichet writes about a request carries: the service's name and the address the
// request is read at as From, the reference in the subject and a header, automatic.
Result<mail::Outgoing> about_request(const store::RequestInfo& r, const mail::Address& to, const std::string& subject,
                                     const IngestOptions& options) {
  const std::string from_address = reading_address(r, options);
  if (!mail::valid_address(from_address))
    return make_error(Errc::config, r.reference + ": no address to write from (mailbox address or department email)");
  const auto* service = department_of(r, options);
  mail::Outgoing out;
  out.from = mail::Address{"guichet " + (service ? service->name : options.commune), from_address};
  out.to = to;
  out.subject = mail::tagged_subject(options.threading.reference_prefix, r.reference, subject);
  out.auto_submitted = "auto-generated";
  out.extra.emplace_back("X-Guichet-Reference", r.reference);
  return out;
}

}  // namespace

Result<Queued> mail_agent(store::Store& store, const store::RequestInfo& r, const directory::Agent& agent, ToAgent m,
                          const IngestOptions& options, std::int64_t now) {
  if (!mail::valid_address(agent.email)) return make_error(Errc::config, "agent " + agent.id + " has no valid email");
  auto made =
      about_request(r, mail::Address{agent.first_name + " " + agent.last_name, agent.email}, m.subject, options);
  if (!made) return made.error();
  mail::Outgoing out = std::move(*made);
  out.reply_to = out.from;
  out.body = std::move(m.body);
  const std::string& key = options.agents.token_key;
  if (m.reply && !key.empty()) {
    // Three places, so that a server that rewrites one still leaves another (tokens/tokens.h).
    out.reply_to.address = tokens::reply_address(out.from.address, options.agents.separator, *m.reply, key);
    out.message_id = tokens::message_id(domain_of(out.from.address), *m.reply, key);
    if (!out.body.empty() && out.body.back() != '\n') out.body += "\n";
    out.body += "\n" + tokens::marker(*m.reply, key) + "\n";
  }
  return queue_mail(store, m.kind, r.id, std::move(out), options.outgoing.retry_hours, now);
}

Result<Queued> mail_address(store::Store& store, const store::RequestInfo& r, const mail::Address& to,
                            store::OutboxKind kind, const std::string& subject, std::string body,
                            const IngestOptions& options, std::int64_t now) {
  if (!mail::valid_address(to.address)) return make_error(Errc::config, "\"" + to.address + "\" is not an address");
  auto made = about_request(r, to, subject, options);
  if (!made) return made.error();
  made->body = std::move(body);
  return queue_mail(store, kind, r.id, std::move(*made), options.outgoing.retry_hours, now);
}

Result<std::string> render_letter(const std::string& name, const store::RequestInfo& r, const IngestOptions& options,
                                  const std::function<void(templates::Data&)>& more) {
  if (!options.templates) return make_error(Errc::software, "no templates loaded");
  templates::Data data = templates::letter_data(letter_of(r, options));
  if (more) more(data);
  return options.templates->render(name, data);
}

}  // namespace guichet::engine
