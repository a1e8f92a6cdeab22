#include "town.h"

#include <catch2/catch.hpp>

#include "mail/compose.h"

namespace guichet::test {

Town::Town(const std::string& extra, const std::string& directory) {
  setenv("TZ", "Europe/Paris", 1);
  tzset();
  smtp.start();
  const std::string src = GUICHET_SOURCE_DIR;
  write_file(dir.path() / "guichet.yaml",
             "commune: Champignac-en-Cambrousse\ndatabase: g.db\ndirectory: " +
                 (directory.empty() ? src + "/etc/directory.yaml" : directory) + "\nrules: " + src +
                 "/rules\nmailboxes:\n"
                 "  - {name: voirie, url: 'maildir://in', department: voirie, address: voirie@champignac.example}\n"
                 "  - {name: mairie, url: 'maildir://in2', address: mairie@champignac.example}\n"
                 "  - {name: urbanisme, url: 'maildir://in3', department: urbanisme, address: urbanisme@champignac.example}\n"
                 "smtp:\n  url: " +
                 smtp.url() + "\n  tls: none\n  timeout_seconds: 5\n" + extra);
  auto s = engine::load_setup(config_path());
  INFO((s ? std::string() : s.error().message));
  REQUIRE(s);
  setup = *s;
  auto opened = store::Store::open(dir.str("g.db"));
  REQUIRE(opened);
  st.emplace(std::move(*opened));
}

engine::IngestOptions Town::options(const std::string& mailbox) {
  auto o = engine::prepare_ingest(*st, *setup, mailbox);
  INFO((o ? std::string() : o.error().message));
  REQUIRE(o);
  return *o;
}

engine::Outcome Town::ingest(const std::string& raw, const std::string& mailbox) {
  auto opt = options(mailbox);
  auto tx = st->transaction();
  REQUIRE(tx);
  auto out = engine::ingest(*st, raw, store::Source{mailbox, "test", ""}, opt, clock);
  INFO((out ? std::string() : out.error().message));
  REQUIRE(out);
  REQUIRE(tx->commit());
  return *out;
}

engine::DrainStats Town::drain() {
  auto sender = engine::make_sender(*setup->config.smtp);
  REQUIRE(sender);
  auto stats = engine::drain(*st, **sender, clock, engine::drain_options(*setup));
  INFO((stats ? std::string() : stats.error().message));
  REQUIRE(stats);
  return *stats;
}

store::RequestInfo Town::request(const std::string& reference) {
  auto r = st->request(reference);
  REQUIRE(r);
  REQUIRE(*r);
  return **r;
}

std::vector<store::OutboxMail> Town::outbox(const std::string& kind, std::optional<std::int64_t> request_id) {
  auto rows = st->outbox().list({}, 0);
  REQUIRE(rows);
  std::vector<store::OutboxMail> out;
  for (auto& r : *rows)
    if ((kind.empty() || store::name(r.kind) == kind) && (!request_id || r.request_id == request_id)) out.push_back(r);
  return out;
}

std::string Town::outbox_raw(std::int64_t id) {
  auto row = st->outbox().get(id);
  REQUIRE(row);
  REQUIRE(*row);
  return (*row)->message;
}

mail::Message Town::outbox_message(std::int64_t id) { return mail::parse(outbox_raw(id)); }

std::vector<nlohmann::json> Town::events(const std::string& reference, const std::string& kind) {
  std::vector<nlohmann::json> out;
  for (const auto& e : request(reference).events)
    if (e.kind == kind) out.push_back(nlohmann::json::parse(e.detail_json));
  return out;
}

mail::Message Town::notice(const std::string& reference, const std::string& agent_email) {
  const auto r = request(reference);
  std::optional<mail::Message> found;
  for (const auto& row : outbox("notification", r.id))
    if (row.recipient == agent_email) found = outbox_message(row.id);
  INFO("no notice to " + agent_email + " for " + reference);
  REQUIRE(found);
  return *found;
}

std::string received_header(std::int64_t when) {
  return "Received: from mx.example.org by mx.champignac.example; " + mail::format_rfc5322(when) + "\r\n";
}

std::string resident_mail(const std::string& id, const std::string& subject, const std::string& from,
                          const std::string& to, const std::string& extra_headers, const std::string& body) {
  return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject +
         "\r\nDate: Thu, 03 Dec 2026 09:30:00 +0100\r\nMessage-ID: <" + id +
         ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n" +
         extra_headers + "\r\n" + body;
}

namespace {
std::string reply_to_of(const mail::Message& notice) {
  return notice.reply_to.empty() ? notice.from.front().address : notice.reply_to.front().address;
}
std::string crlf(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += "\r\n";
    else out.push_back(c);
  }
  return out;
}
}  // namespace

std::string agent_reply(const mail::Message& notice, const std::string& from, const std::string& answer, Client client,
                        const std::string& message_id, const std::string& extra_headers) {
  const std::string to = reply_to_of(notice);
  std::string headers = "From: " + from + "\r\nTo: " + to + "\r\nDate: Thu, 03 Dec 2026 11:00:00 +0100\r\nMessage-ID: <" +
                        message_id + ">\r\nMIME-Version: 1.0\r\n";
  if (client == Client::outlook) {
    // Outlook, answering with no References: only a Thread-Index of its own.
    headers += "Subject: RE : " + notice.subject + "\r\nThread-Index: AQHZ1234567890abcdefABCDEF==\r\n" + extra_headers +
               "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
    return headers + crlf(answer) + "\r\n\r\n________________________________\r\nDe : " + notice.from.front().name +
           " <" + notice.from.front().address + ">\r\nEnvoyé : jeudi 3 décembre 2026 10:30\r\nÀ : " + from +
           "\r\nObjet : " + notice.subject + "\r\n\r\n" + crlf(notice.text);
  }
  headers += "Subject: Re: " + notice.subject + "\r\nIn-Reply-To: <" + notice.message_id + ">\r\nReferences: <" +
             notice.message_id + ">\r\n" + extra_headers;
  if (client == Client::thunderbird) {
    std::string quoted;
    for (size_t p = 0, n; p < notice.text.size(); p = n + 1) {
      n = notice.text.find('\n', p);
      if (n == std::string::npos) n = notice.text.size();
      quoted += "> " + notice.text.substr(p, n - p) + "\r\n";
    }
    return headers + "Content-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
           crlf(answer) + "\r\n\r\nLe 03/12/2026 à 10:30, " + notice.from.front().name + " a écrit :\r\n" + quoted;
  }
  // An HTML-only answer (a webmail): the quote is a blockquote, no "> ".
  std::string html = "<html><body><div>";
  for (size_t p = 0, n; p < answer.size(); p = n + 1) {
    n = answer.find('\n', p);
    if (n == std::string::npos) n = answer.size();
    html += answer.substr(p, n - p) + "<br>";
  }
  html += "</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">Le jeu. 3 déc. 2026 à 10:30, " +
          notice.from.front().name + " a écrit :<br></div><blockquote class=\"gmail_quote\">";
  for (size_t p = 0, n; p < notice.text.size(); p = n + 1) {
    n = notice.text.find('\n', p);
    if (n == std::string::npos) n = notice.text.size();
    html += notice.text.substr(p, n - p) + "<br>";
  }
  html += "</blockquote></div></body></html>";
  return headers + "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + html + "\r\n";
}

}  // namespace guichet::test
