// Outgoing mail (lib/mail/compose, lib/engine/outbox, lib/transport/sender): composition, the
// RFC 3834 brakes, and the outbox drained into a real SMTP server (aiosmtpd) on loopback.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <csignal>

#include "engine/connections.h"
#include "engine/ingest.h"
#include "engine/outbox.h"
#include "engine/promote.h"
#include "engine/setup.h"
#include "helpers.h"
#include "mail/compose.h"
#include "mail/parse.h"
#include "servers.h"
#include "store/outbox.h"

using namespace guichet;

namespace {

bool has_header_line(const std::string& msg, const std::string& start) {
  const std::string headers = msg.substr(0, msg.find("\r\n\r\n") + 2);
  size_t pos = 0;
  while (pos < headers.size()) {
    if (headers.compare(pos, start.size(), start) == 0) return true;
    size_t nl = headers.find("\r\n", pos);
    if (nl == std::string::npos) break;
    pos = nl + 2;
  }
  return false;
}

std::string header(const mail::Message& m, const std::string& name) {
  for (const auto& [n, v] : m.headers)
    if (n == name) return v;
  return "";
}

std::string resident_mail(const std::string& id, const std::string& subject,
                          const std::string& from = "Léa Martin <lea.martin@example.org>",
                          const std::string& extra = "") {
  return "From: " + from + "\r\nTo: voirie@champignac.example\r\nSubject: " + subject +
         "\r\nDate: Tue, 17 Nov 2026 09:30:00 +0100\r\nMessage-ID: <" + id +
         ">\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n" +
         extra + "\r\nBonjour,\r\nle lampadaire devant l'école est éteint depuis une semaine.\r\nMerci, Léa\r\n";
}

// A commune with the shipped directory and rules, a database, and an SMTP server on loopback.
struct Town {
  test::TempDir dir;
  test::SmtpServer smtp;
  FixedClock clock{1795426200};  // Tuesday 17 November 2026, 10:30 in Paris
  std::shared_ptr<const engine::Setup> setup;
  std::optional<store::Store> st;

  explicit Town(const std::string& extra_config = "") {
    setenv("TZ", "Europe/Paris", 1);
    tzset();
    const std::string src = GUICHET_SOURCE_DIR;
    test::write_file(dir.path() / "guichet.yaml",
                     "commune: Champignac-en-Cambrousse\ndatabase: g.db\ndirectory: " + src + "/etc/directory.yaml\n" +
                         "rules: " + src +
                         "/rules\nmailboxes:\n  - {name: voirie, url: 'maildir://in', department: voirie, "
                         "address: voirie@champignac.example}\n  - {name: mairie, url: 'maildir://in2', address: "
                         "mairie@champignac.example}\n"
                         "smtp:\n  url: " +
                         smtp.url() + "\n  tls: none\n  timeout_seconds: 5\n" + extra_config);
    auto s = engine::load_setup(dir.str("guichet.yaml"));
    INFO((s ? std::string() : s.error().message));
    REQUIRE(s);
    setup = *s;
    auto opened = store::Store::open(dir.str("g.db"));
    REQUIRE(opened);
    st.emplace(std::move(*opened));
  }

  engine::Outcome ingest(const std::string& raw, const std::string& mailbox = "voirie") {
    auto tx = st->transaction();
    REQUIRE(tx);
    auto opt = engine::ingest_options(*setup, mailbox);
    auto out = engine::ingest(*st, raw, store::Source{mailbox, "test", ""}, opt, clock);
    INFO((out ? std::string() : out.error().message));
    REQUIRE(out);
    REQUIRE(tx->commit());
    return *out;
  }

  engine::DrainStats drain() {
    auto sender = engine::make_sender(*setup->config.smtp);
    REQUIRE(sender);
    auto stats = engine::drain(*st, **sender, clock, engine::drain_options(*setup));
    INFO((stats ? std::string() : stats.error().message));
    REQUIRE(stats);
    return *stats;
  }

  std::vector<store::OutboxMail> outbox(const std::string& kind = "") {
    store::Outbox box(st->database());
    auto rows = box.list({}, 0);
    REQUIRE(rows);
    std::vector<store::OutboxMail> out;
    for (auto& r : *rows)
      if (kind.empty() || store::name(r.kind) == kind) out.push_back(r);
    return out;
  }

  std::vector<std::string> events(const std::string& reference, const std::string& kind) {
    auto req = st->request(reference);
    REQUIRE(req);
    REQUIRE(*req);
    std::vector<std::string> out;
    for (const auto& e : (*req)->events)
      if (e.kind == kind) out.push_back(e.detail_json);
    return out;
  }

  // Delivered acknowledgements, parsed.
  std::vector<mail::Message> acknowledgements() {
    std::vector<mail::Message> out;
    for (const auto& raw : smtp.received()) {
      auto m = mail::parse(raw);
      if (m.auto_submitted_header == "auto-replied") out.push_back(std::move(m));
    }
    return out;
  }
};

}  // namespace

TEST_CASE("valid_address refuses what could inject into SMTP or a header", "[compose]") {
  CHECK(mail::valid_address("lea.martin@example.org"));
  CHECK(mail::valid_address("a+tag@sub.example.fr"));
  CHECK_FALSE(mail::valid_address("lea@example.org\r\nRCPT TO:<victim@evil.example>"));
  CHECK_FALSE(mail::valid_address("lea@example.org>"));
  CHECK_FALSE(mail::valid_address("lea martin@example.org"));
  CHECK_FALSE(mail::valid_address("lea@@example.org"));
  CHECK_FALSE(mail::valid_address("@example.org"));
  CHECK_FALSE(mail::valid_address("lea@"));
  CHECK_FALSE(mail::valid_address("\"lea\"@example.org"));
  CHECK_FALSE(mail::valid_address("léa@example.org"));  // no SMTPUTF8 here: never half-sent
}

TEST_CASE("tagged_subject adds the reference once, without piling up Re: or tags", "[compose]") {
  const std::string pre =
      "R\xC3\xA9"
      "f.";
  CHECK(mail::tagged_subject(pre, "2026-000042", "Lampadaire éteint") == "[Réf. 2026-000042] Lampadaire éteint");
  CHECK(mail::tagged_subject(pre, "2026-000042", "RE : TR: Re: [Réf. 2026-000042] Lampadaire") ==
        "[Réf. 2026-000042] Lampadaire");
  CHECK(mail::tagged_subject(pre, "2026-000042", "Re: [Réf. 2026-000007] Re: Fwd: x") == "[Réf. 2026-000042] x");
  CHECK(mail::tagged_subject(pre, "2026-000042", "") == "[Réf. 2026-000042]");
  CHECK(mail::tagged_subject(pre, "2026-000042", "a\r\nBcc: victim@evil.example") ==
        "[Réf. 2026-000042] a Bcc: victim@evil.example");
}

TEST_CASE("compose writes CRLF, encoded words, quoted-printable, and no line over 998 octets", "[compose]") {
  mail::Outgoing o;
  o.from = {"Services techniques, voirie", "voirie@champignac.example"};
  o.reply_to = o.from;
  o.to = {"Léa \"Lili\" Martin", "lea.martin@example.org"};
  o.subject = "[Réf. 2026-000042] " + std::string(300, 'x') + " éàü";
  o.message_id = mail::new_message_id("champignac.example");
  o.in_reply_to = {"abc@example.org"};
  o.references = {"root@example.org", "bad id\r\nX: y", "abc@example.org"};
  o.auto_submitted = "auto-replied";
  o.date = 1795426200;
  o.body = "Ligne accentuée : é\n.point en tête\nFrom the start\n" + std::string(2000, 'y') + "\nfin avec espace \n";
  auto raw = mail::compose(o);
  REQUIRE(raw);
  for (size_t i = 0; i < raw->size(); ++i) {
    if ((*raw)[i] == '\n') REQUIRE((i > 0 && (*raw)[i - 1] == '\r'));
  }
  size_t start = 0;
  while (start < raw->size()) {
    size_t end = raw->find("\r\n", start);
    if (end == std::string::npos) end = raw->size();
    CHECK(end - start <= 998);
    if (start > raw->find("\r\n\r\n")) CHECK(end - start <= 76);  // quoted-printable body
    start = end + 2;
  }
  CHECK(o.message_id.size() == 32 + 1 + std::string("champignac.example").size());
  CHECK(mail::new_message_id("x") != mail::new_message_id("x"));
  auto m = mail::parse(*raw);
  CHECK(m.problems.empty());
  CHECK(m.subject == o.subject);
  CHECK(m.to.front().name == "Léa \"Lili\" Martin");
  CHECK(m.references == std::vector<std::string>{"root@example.org", "abc@example.org"});
  CHECK(m.text ==
        "Ligne accentuée : é\n.point en tête\nFrom the start\n" + std::string(2000, 'y') + "\nfin avec espace \n");
  CHECK(header(m, "auto-submitted") == "auto-replied");
  CHECK(header(m, "x-auto-response-suppress") == "All");
  CHECK(header(m, "content-type").find("text/plain; charset=") == 0);
  o.to.address = "lea@example.org\r\nRCPT TO:<victim@evil.example>";
  CHECK_FALSE(mail::compose(o));
}

TEST_CASE("no automatic answer to a machine (RFC 3834)", "[outbox][rfc3834]") {
  const std::vector<std::string> own = {"voirie@champignac.example"};
  auto reason = [&](const std::string& raw) { return engine::machine_reason(mail::parse(raw), own); };
  for (const char* name : {"vacation-auto-replied.eml", "exchange-oof.eml", "x-autoreply.eml", "dsn-bounce.eml",
                           "newsletter-list-id.eml", "precedence-bulk.eml"}) {
    INFO(name);
    CHECK(engine::machine_reason(mail::parse(test::corpus(name)), own));
  }
  CHECK_FALSE(reason(resident_mail("a@example.org", "Lampadaire")));
  CHECK(*reason(resident_mail("b@x", "s", "Robot <no-reply@impots.example>")) ==
        "a machine address (no-reply@impots.example)");
  CHECK(reason(resident_mail("c@x", "s", "<ne-pas-repondre@caf.example>")));
  CHECK(reason(resident_mail("d@x", "s", "<Ne_Pas_Répondre@ants.example>")));
  CHECK(reason(resident_mail("e@x", "s", "<MAILER-DAEMON@mx.example>")));
  CHECK(reason(resident_mail("f@x", "s", "<postmaster@example.org>")));
  CHECK(*reason(resident_mail("g@x", "s", "Voirie <Voirie@Champignac.example>")) ==
        "one of the town's own addresses (voirie@champignac.example)");
  CHECK(reason(resident_mail("h@x", "s", "<lea@example.org>", "Return-Path: <>\r\n")));
  CHECK(reason(resident_mail("i@x", "s", "<lea@example.org>", "X-Loop: guichet@champignac.example\r\n")));
}

TEST_CASE("an acknowledgement reaches the resident through a real SMTP server, with the right headers",
          "[outbox][smtp]") {
  Town town;
  town.smtp.start();
  auto out = town.ingest(resident_mail("lampadaire-1@example.org", "Lampadaire éteint devant l'école"));
  REQUIRE(out.reference == "2026-000001");
  REQUIRE(town.outbox("acknowledgement").size() == 1);
  REQUIRE(town.outbox("notification").size() == 1);
  auto stats = town.drain();
  CHECK(stats.sent == 2);
  auto acks = town.acknowledgements();
  REQUIRE(acks.size() == 1);
  const mail::Message& ack = acks.front();
  CHECK(ack.subject == "[Réf. 2026-000001] Lampadaire éteint devant l'école");
  CHECK(ack.from.front().name == "Services techniques, voirie");
  CHECK(ack.from.front().address == "voirie@champignac.example");
  CHECK(ack.reply_to.front().address == "voirie@champignac.example");
  CHECK(ack.to.front().address == "lea.martin@example.org");
  CHECK(ack.to.front().name == "Léa Martin");
  CHECK(ack.in_reply_to == std::vector<std::string>{"lampadaire-1@example.org"});
  CHECK(ack.references == std::vector<std::string>{"lampadaire-1@example.org"});
  CHECK(ack.message_id.size() > 33);
  CHECK(ack.message_id.find("@champignac.example") != std::string::npos);
  CHECK(header(ack, "auto-submitted") == "auto-replied");
  CHECK(header(ack, "x-auto-response-suppress") == "All");
  CHECK(header(ack, "mime-version") == "1.0");
  CHECK(ack.problems.empty());
  CHECK(ack.text.find("a bien reçu votre courriel le 17 novembre 2026 à 9 h 30") != std::string::npos);
  CHECK(ack.text.find("Lampadaire éteint devant l'école") != std::string::npos);
  CHECK(ack.text.find("réputée rejetée le 18 janvier 2027") != std::string::npos);  // 17 Jan 2027 is a Sunday
  auto env = nlohmann::json::parse(town.smtp.envelopes().front());
  CHECK(env["mail_from"] == "voirie@champignac.example");
  CHECK(env["rcpt_tos"] == nlohmann::json::array({"lea.martin@example.org"}));
  // The notice to the agent is auto-generated and names the request.
  bool notice = false;
  for (const auto& raw : town.smtp.received()) {
    auto m = mail::parse(raw);
    if (m.auto_submitted_header != "auto-generated") continue;
    notice = true;
    CHECK(m.to.front().address == "p.martin@champignac.example");
    CHECK(m.subject.find("[Réf. 2026-000001] Nouvelle demande") == 0);
  }
  CHECK(notice);
  // Nothing is left to send; the resident's answer to the acknowledgement lands in the request.
  CHECK(town.drain().sent == 0);
  std::string reply = resident_mail("reply-1@example.org", "Re: " + ack.subject, "Léa Martin <lea.martin@example.org>",
                                    "In-Reply-To: <" + ack.message_id + ">\r\n");
  auto r = town.ingest(reply);
  CHECK(r.kind == threading::Decision::Kind::attach);
  CHECK(r.reference == "2026-000001");
  CHECK(town.outbox("acknowledgement").size() == 1);
}

TEST_CASE("the server down, then back: the mail waits and is delivered once", "[outbox][smtp]") {
  Town town;
  town.ingest(resident_mail("down-1@example.org", "Trottoir défoncé"));
  auto stats = town.drain();  // nobody listens yet
  CHECK(stats.sent == 0);
  CHECK(stats.retried == 2);
  auto ack = town.outbox("acknowledgement").front();
  CHECK(ack.status == store::OutboxStatus::queued);
  CHECK(ack.attempts == 1);
  CHECK(ack.last_error.find("onnect") != std::string::npos);
  CHECK(ack.next_attempt_at >= town.clock.now() + 48);  // 60 s, ±20 %
  CHECK(ack.next_attempt_at <= town.clock.now() + 72);
  town.smtp.start();
  CHECK(town.drain().sent == 0);  // not due yet: backoff is respected
  town.clock.set(town.clock.now() + 120);
  CHECK(town.drain().sent == 2);
  CHECK(town.drain().sent == 0);
  CHECK(town.acknowledgements().size() == 1);
  CHECK(town.outbox("acknowledgement").front().status == store::OutboxStatus::sent);
}

TEST_CASE("a 4xx is retried with backoff, then delivered", "[outbox][smtp]") {
  Town town;
  town.smtp.start();
  town.ingest(resident_mail("busy-1@example.org", "Nid-de-poule"));
  town.smtp.set_mode("451-once");
  auto stats = town.drain();
  CHECK(stats.retried == 1);
  CHECK(stats.sent == 1);  // the second mail found the server well again
  auto rows = town.outbox();
  auto deferred = std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.status == store::OutboxStatus::queued; });
  REQUIRE(deferred != rows.end());
  CHECK(deferred->last_error.find("451") != std::string::npos);
  town.clock.set(town.clock.now() + 3600);
  CHECK(town.drain().sent == 1);
  CHECK(town.smtp.received().size() == 2);
}

TEST_CASE("a 5xx fails at once, is recorded on the request and reported to the service", "[outbox][smtp]") {
  Town town;
  town.smtp.start();
  auto out = town.ingest(resident_mail("gone-1@example.org", "Nid-de-poule", "Paul <paul@gone.example>"));
  town.smtp.set_mode("550");
  auto stats = town.drain();
  CHECK(stats.failed == 2);
  auto ack = town.outbox("acknowledgement").front();
  CHECK(ack.status == store::OutboxStatus::failed);
  CHECK(ack.last_error.find("550") != std::string::npos);
  auto failed = town.events(out.reference, "mail_failed");
  REQUIRE(failed.size() == 2);
  CHECK(failed[0].find("paul@gone.example") != std::string::npos);
  // The service hears of it through its own mailbox, once (no notice about a notice).
  auto notices = town.outbox("failure");
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].recipient == "voirie@champignac.example");
  town.smtp.set_mode("ok");
  CHECK(town.drain().sent == 1);
  auto m = mail::parse(town.smtp.received().back());
  CHECK(m.subject == "[guichet] Courriel non remis (" + out.reference + ")");
  CHECK(m.text.find("paul@gone.example") != std::string::npos);
  // An admin who fixed the cause puts it back in the queue.
  store::Outbox box(town.st->database());
  REQUIRE(*box.requeue(ack.id, town.clock.now(), town.clock.now() + 3600));
  CHECK(town.drain().sent == 1);
}

TEST_CASE("temporary failures stop at the retry horizon", "[outbox][smtp]") {
  Town town("  retry_hours: 1\n");
  town.ingest(resident_mail("horizon-1@example.org", "Nid-de-poule"));
  int rounds = 0;
  while (!town.outbox("acknowledgement").empty() && town.outbox("acknowledgement").front().status == store::OutboxStatus::queued &&
         rounds < 50) {
    town.drain();
    town.clock.set(town.clock.now() + 600);
    ++rounds;
  }
  auto ack = town.outbox("acknowledgement").front();
  CHECK(ack.status == store::OutboxStatus::failed);
  CHECK(ack.last_error.find("gave up after") != std::string::npos);
  CHECK(rounds <= 8);
}

TEST_CASE("a vacation auto-responder answering for ten minutes gets one acknowledgement", "[outbox][smtp][loop]") {
  Town town;
  town.smtp.start();
  town.ingest(resident_mail("vacances-0@example.org", "Poubelles non ramassées"));
  town.drain();
  for (int minute = 1; minute <= 10; ++minute) {
    town.clock.set(town.clock.now() + 60);
    // The responder answers the newest mail it received from us, the way real ones do.
    auto last = mail::parse(town.smtp.received().back());
    std::string answer =
        "From: Léa Martin <lea.martin@example.org>\r\nTo: voirie@champignac.example\r\n"
        "Subject: Absence du bureau : " +
        last.subject + "\r\nMessage-ID: <oof-" + std::to_string(minute) + "@example.org>\r\nIn-Reply-To: <" +
        last.message_id +
        ">\r\nAuto-Submitted: auto-replied\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nJe suis absente jusqu'au 30 novembre.\r\n";
    town.ingest(answer);
    town.drain();
  }
  CHECK(town.acknowledgements().size() == 1);
  CHECK(town.outbox("acknowledgement").size() == 1);
}

TEST_CASE("a responder that hides what it is still meets the per-address limit", "[outbox][smtp][loop]") {
  Town town;
  town.smtp.start();
  for (int i = 0; i < 8; ++i) {
    town.clock.set(town.clock.now() + 60);
    // No Auto-Submitted, no references, a new subject each time: every one looks like a resident.
    town.ingest(resident_mail("dumb-" + std::to_string(i) + "@example.org", "Sujet " + std::to_string(i) + " différent",
                              "Bot <lea.martin@example.org>"));
    town.drain();
  }
  CHECK(town.acknowledgements().size() == 3);  // the default: 3 a day
  auto rows = town.st->requests();
  REQUIRE(rows);
  auto suppressed = town.events(rows->back().reference, "acknowledgement_suppressed");
  REQUIRE(suppressed.size() == 1);
  CHECK(suppressed[0].find("limit reached: 3 acknowledgements to lea.martin@example.org in 24 hours") !=
        std::string::npos);
  // The next day, the resident writes again and is acknowledged.
  town.clock.set(town.clock.now() + 86400);
  town.ingest(resident_mail("next-day@example.org", "Encore un souci", "Léa <lea.martin@example.org>"));
  town.drain();
  CHECK(town.acknowledgements().size() == 4);
}

TEST_CASE("header injection through the subject and the From name never reaches the wire", "[outbox][smtp]") {
  Town town;
  town.smtp.start();
  // An encoded subject and display name that decode to CR LF and fake headers.
  std::string raw =
      "From: =?UTF-8?Q?L=C3=A9a=0D=0ABcc=3A_victim=40evil=2Eexample?= <lea.martin@example.org>\r\n"
      "To: voirie@champignac.example\r\nSubject: "
      "=?UTF-8?Q?Trottoir=0D=0ABcc=3A_victim2=40evil=2Eexample=0D=0A=0D=0Abody?=\r\n"
      "Message-ID: <inject-1@example.org>\r\nDate: Tue, 17 Nov 2026 09:30:00 +0100\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\nTrottoir.\r\n";
  town.ingest(raw);
  REQUIRE(town.drain().sent >= 1);
  for (const auto& msg : town.smtp.received()) {
    CHECK_FALSE(has_header_line(msg, "Bcc:"));
    CHECK(msg.find("victim@evil.example>") == std::string::npos);
  }
  for (const auto& e : town.smtp.envelopes()) CHECK(e.find("evil") == std::string::npos);
  auto ack = town.acknowledgements().front();
  CHECK(ack.subject == "[Réf. 2026-000001] Trottoir Bcc: victim2@evil.example body");
}

TEST_CASE("a bounce of an acknowledgement is recorded on its request, not a new request", "[outbox][smtp][dsn]") {
  Town town;
  town.smtp.start();
  auto out = town.ingest(resident_mail("typo-1@example.org", "Lampadaire", "Léa <lea.martni@example.org>"));
  town.drain();
  auto ack = town.acknowledgements().front();
  std::string dsn =
      "From: Mail Delivery System <MAILER-DAEMON@mx.champignac.example>\r\nTo: voirie@champignac.example\r\n"
      "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-1@mx.champignac.example>\r\n"
      "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
      "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.champignac.example\r\n\r\n"
      "Final-Recipient: rfc822; lea.martni@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
      "--b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: voirie@champignac.example\r\nMessage-ID: <" +
      ack.message_id + ">\r\nSubject: x\r\n--b--\r\n";
  auto b = town.ingest(dsn);
  CHECK(b.kind == threading::Decision::Kind::attach);
  CHECK(b.reference == out.reference);
  CHECK(b.matched_by == "dsn:" + ack.message_id);
  auto rows = town.st->requests();
  REQUIRE(rows);
  CHECK(rows->size() == 1);
  CHECK(town.outbox("acknowledgement").front().status == store::OutboxStatus::bounced);
  auto bounced = town.events(out.reference, "mail_bounced");
  REQUIRE(bounced.size() == 1);
  CHECK(bounced[0].find("lea.martni@example.org") != std::string::npos);
  CHECK(town.outbox("acknowledgement").size() == 1);  // and nothing answers the bounce
}

TEST_CASE("machine mail that threads nowhere is kept apart, unanswered, and says why", "[outbox][machine]") {
  Town town;
  auto out = town.ingest(resident_mail("oof-demo@example.org", "Réponse automatique", "<lea@example.org>",
                                       "Auto-Submitted: auto-replied\r\n"));
  CHECK(out.action == engine::Action::machine);
  CHECK(out.reference.rfind("M2026-", 0) == 0);
  CHECK(town.outbox().empty());
  auto why = town.events(out.reference, "created");
  REQUIRE(why.size() == 1);
  CHECK(why[0].find("an automatic message") != std::string::npos);
}

TEST_CASE("promote: machine mail a person decides is a request gets a reference, a route, a notice", "[outbox][machine]") {
  Town town;
  // A newsletter-looking mail (List-Id) that is really a resident's question about a works notice.
  auto kept = town.ingest(resident_mail("list-1@example.org", "Travaux rue Pasteur : quand ?",
                                        "Léa Martin <lea.martin@example.org>", "List-Id: <quartier.example.org>\r\n"));
  REQUIRE(kept.action == engine::Action::machine);
  {
    store::ListFilter machine;
    machine.kind = store::RequestKind::machine;
    auto rows = town.st->requests(machine);
    REQUIRE(rows);
    CHECK(rows->size() == 1);
    auto requests = town.st->requests();
    REQUIRE(requests);
    CHECK(requests->empty());  // counted apart
  }
  auto tx = town.st->transaction();
  REQUIRE(tx);
  auto r = town.st->request(kept.reference);
  REQUIRE(r);
  REQUIRE(*r);
  auto opt = engine::ingest_options(*town.setup, "voirie");
  auto promoted = engine::promote(*town.st, **r, opt, "p.martin", town.clock.now());
  INFO((promoted ? std::string() : promoted.error().message));
  REQUIRE(promoted);
  REQUIRE(tx->commit());
  CHECK(promoted->reference == "2026-000001");
  CHECK(promoted->department == "voirie");
  auto after = town.st->request(promoted->reference);
  REQUIRE(after);
  REQUIRE(*after);
  CHECK((*after)->kind == "request");
  CHECK_FALSE((*after)->response_due_on.value_or("").empty());
  auto ev = town.events(promoted->reference, "promoted");
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].find(kept.reference) != std::string::npos);
  // The list sender is not answered automatically; the agent in charge hears of it all the same.
  CHECK(town.outbox("acknowledgement").empty());
  CHECK(town.outbox("notification").size() == 1);
  // Promoting twice is refused, the old reference is gone.
  auto again = town.st->request(promoted->reference);
  REQUIRE(again);
  auto twice = engine::promote(*town.st, **again, opt, "p.martin", town.clock.now());
  REQUIRE_FALSE(twice);
  CHECK(twice.error().code == Errc::data);
}

TEST_CASE("a person writing into machine mail kept apart gets a request of their own, linked", "[outbox][machine]") {
  Town town;
  auto bounce = town.ingest(
      "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\nTo: voirie@champignac.example\r\n"
      "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-x@mx.example.org>\r\n"
      "Auto-Submitted: auto-replied\r\n\r\nThe mail could not be delivered.\r\n");
  REQUIRE(bounce.action == engine::Action::machine);
  // A clerk forwarded it to a resident, who answers it.
  auto person = town.ingest(resident_mail("reply-x@example.org", "Re: Undelivered Mail Returned to Sender",
                                          "Léa Martin <lea.martin@example.org>", "In-Reply-To: <dsn-x@mx.example.org>\r\n"));
  CHECK(person.kind == threading::Decision::Kind::new_request);
  CHECK(person.action == engine::Action::created);
  CHECK(person.reference.rfind("2026-", 0) == 0);
  CHECK(person.linked_to == bounce.reference);
  CHECK(person.matched_by.find("machine mail") != std::string::npos);
  CHECK(town.outbox("acknowledgement").size() == 1);
}

TEST_CASE("mail from the town's own address is a request, never acknowledged, and says why", "[outbox]") {
  Town town;
  // The town's own address writes: a request, never acknowledged.
  auto out = town.ingest(resident_mail("own-1@example.org", "Note interne", "Voirie <voirie@champignac.example>"));
  CHECK(out.action == engine::Action::created);
  CHECK(town.outbox("acknowledgement").empty());
  auto why = town.events(out.reference, "acknowledgement_suppressed");
  REQUIRE(why.size() == 1);
  CHECK(why[0].find("town's own addresses") != std::string::npos);
}

TEST_CASE("STARTTLS is required by default: a server without it gets nothing, the mail waits", "[outbox][smtp]") {
  test::SmtpServer server;
  server.start();
  config::Smtp cfg;
  cfg.url = server.url();  // tls: required is the default
  cfg.timeout_seconds = 5;
  auto sender = engine::make_sender(cfg);
  REQUIRE(sender);
  auto res = (*sender)->send("voirie@champignac.example", "lea@example.org", "Subject: x\r\n\r\ny\r\n");
  CHECK(res.status == transport::SendResult::Status::temporary);
  CHECK(server.received().empty());
  INFO(res.detail);
  CHECK((res.detail.find("SSL") != std::string::npos || res.detail.find("TLS") != std::string::npos));
}

TEST_CASE("a crash while sending loses no queued mail and sends the one in flight at most twice",
          "[outbox][smtp][crash]") {
  test::TempDir dir;
  test::SmtpServer smtp;
  smtp.start();
  const std::string src = GUICHET_SOURCE_DIR;
  test::write_file(dir.path() / "guichet.yaml",
                   "commune: Champignac-en-Cambrousse\ndatabase: g.db\ndirectory: " + src + "/etc/directory.yaml\nrules: " +
                       src + "/rules\nmailboxes:\n  - {name: voirie, url: 'maildir://in', department: voirie, address: "
                       "voirie@champignac.example}\nsmtp:\n  url: " + smtp.url() + "\n  tls: none\n");
  const std::string args = "--config '" + dir.str("guichet.yaml") + "'";
  for (int i = 0; i < 3; ++i) {
    auto r = test::run_guichet("ingest --mailbox voirie " + args + " -",
                               resident_mail("crash-" + std::to_string(i) + "@example.org", "Trottoir " + std::to_string(i),
                                             "Résident <r" + std::to_string(i) + "@example.org>"));
    REQUIRE(r.status == 0);
  }
  // 3 acknowledgements and 3 notices queued; the sender dies right after the first 250.
  auto killed = test::run_guichet("outbox send " + args, "", "GUICHET_FAILPOINTS=drain.after_send");
  CHECK(killed.status == 128 + SIGKILL);
  CHECK(smtp.received().size() == 1);
  auto again = test::run_guichet("outbox send " + args);
  INFO(again.err);
  REQUIRE(again.status == 0);
  CHECK(again.out.find("6 sent, 0 deferred, 0 failed") == 0);
  CHECK(smtp.received().size() == 7);  // every mail once, the one in flight twice
  auto left = test::run_guichet("outbox --json " + args);
  CHECK(nlohmann::json::parse(left.out).empty());
}
