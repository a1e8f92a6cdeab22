// Requests that did not come by mail (engine/intake.h): a call, a visit or a letter recorded by an
// agent, by mail to their intake address or with `guichet new`; the resident is the requester,
// the date of receipt is the day they called, and the acknowledgement reaches them or the agent.
#include <catch2/catch.hpp>

#include "engine/intake.h"
#include "mail/compose.h"
#include "store/raw_codec.h"
#include "town.h"
#include "util/local_time.h"

using namespace guichet;
using test::Town;

namespace {

const char* const kClaire = "c.garnier@champignac.example";

std::string intake_address(Town& t, const std::string& agent = "cgarnier") {
  auto options = t.options("mairie");
  return engine::intake_address("mairie@champignac.example", "mairie", agent, options);
}

// The agent's mail, as Thunderbird writes it: the block at the top, then the text.
std::string intake_mail(Town& t, const std::string& id, const std::string& block, const std::string& text,
                        const std::string& from = std::string("Claire Garnier <") + kClaire + ">",
                        const std::string& attachment = "") {
  std::string raw = test::received_header(t.clock.now()) + "From: " + from + "\r\nTo: " + intake_address(t) +
                    "\r\nSubject: Appel d'une administrée\r\nDate: Thu, 03 Dec 2026 10:25:00 +0100\r\nMessage-ID: <" +
                    id + ">\r\nMIME-Version: 1.0\r\n";
  const std::string body = block + "\r\n" + text + "\r\n-- \r\nClaire Garnier, accueil\r\n";
  if (attachment.empty()) return raw + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body;
  return raw +
         "Content-Type: multipart/mixed; boundary=sep\r\n\r\n--sep\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
         body +
         "\r\n--sep\r\nContent-Type: application/pdf; name=courrier.pdf\r\nContent-Disposition: attachment; "
         "filename=courrier.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
         store::base64_lines(attachment, 76, "\r\n") + "\r\n--sep--\r\n";
}

std::int64_t count_requests(Town& t) {
  auto n = t.st->count_requests();
  REQUIRE(n);
  return *n;
}

std::string mail_to(Town& t, const std::string& kind, const std::string& to) {
  std::string last;
  for (const auto& row : t.outbox(kind))
    if (row.recipient == to) last = t.outbox_message(row.id).text;
  return last;
}

}  // namespace

TEST_CASE("intake by mail: a phone call reaches the resident as an acknowledgement dated the day of the call",
          "[intake]") {
  Town t;
  auto out = t.ingest(intake_mail(t, "call-1@champignac.example",
                                  "Canal : téléphone\r\nDemandeur : Mme Sophie Seccotine\r\nCourriel : "
                                  "Sophie.Seccotine@example.org\r\nTéléphone : 06 12 34 56 78\r\nReçu le : hier\r\n"
                                  "Objet : Lampadaire éteint rue des Écoles\r\n",
                                  "Le lampadaire devant le numéro 12 est éteint depuis trois jours."),
                      "mairie");
  REQUIRE(out.action == engine::Action::created);
  auto r = t.request(out.reference);
  CHECK(r.kind == "request");
  CHECK(r.channel == "telephone");
  CHECK(r.requester.name == "Mme Sophie Seccotine");
  CHECK(r.requester.address == "sophie.seccotine@example.org");
  CHECK(r.requester_phone == "06 12 34 56 78");
  CHECK(r.subject == "Lampadaire éteint rue des Écoles");
  CHECK(r.received_at == from_local(2026, 12, 2, 12));          // the day of the call, not of the mail
  CHECK(r.department == std::optional<std::string>("voirie"));  // the rules read the resident's words
  REQUIRE(r.messages.size() == 1);
  CHECK(r.messages[0].from.address == kClaire);  // the record is the agent's mail, byte for byte
  auto created = t.events(out.reference, "created");
  REQUIRE(created.size() == 1);
  CHECK(created[0]["channel"] == "telephone");
  CHECK(created[0]["recorded_by"] == "cgarnier");

  auto acks = t.outbox("acknowledgement", r.id);
  REQUIRE(acks.size() == 1);
  CHECK(acks[0].recipient == "sophie.seccotine@example.org");
  auto ack = t.outbox_message(acks[0].id);
  CHECK(ack.text.find("a bien reçu votre appel le 2 décembre 2026.") != std::string::npos);
  CHECK(ack.text.find(out.reference) != std::string::npos);
  CHECK(ack.in_reply_to.empty());  // the resident never sent a mail to answer
  CHECK_FALSE(t.notice(out.reference, "p.martin@champignac.example").text.empty());  // the agent in charge
  // Through the real SMTP server: the resident's mailbox has it.
  t.drain();
  bool delivered = false;
  for (const auto& m : t.smtp.received())
    delivered = delivered || (m.find("sophie.seccotine@example.org") != std::string::npos &&
                              m.find("Auto-Submitted: auto-replied") != std::string::npos);
  CHECK(delivered);
  // The same mail again (a second copy of Claire's mail): nothing doubled.
  auto again = t.ingest(intake_mail(t, "call-1@champignac.example",
                                    "Canal : téléphone\r\nDemandeur : Mme Sophie Seccotine\r\nCourriel : "
                                    "Sophie.Seccotine@example.org\r\nTéléphone : 06 12 34 56 78\r\nReçu le : hier\r\n"
                                    "Objet : Lampadaire éteint rue des Écoles\r\n",
                                    "Le lampadaire devant le numéro 12 est éteint depuis trois jours."),
                        "mairie");
  CHECK(again.action == engine::Action::duplicate);
  CHECK(count_requests(t) == 1);
  // The resident answers the acknowledgement: it joins the request.
  const std::string reply = test::resident_mail(
      "sophie-2@example.org", "Re: " + ack.subject, "Sophie Seccotine <sophie.seccotine@example.org>",
      "mairie@champignac.example", "In-Reply-To: <" + ack.message_id + ">\r\n");
  CHECK(t.ingest(reply, "mairie").reference == out.reference);
}

TEST_CASE(
    "intake by mail: a letter's scan becomes a request with its PDF, the acknowledgement goes to the agent to post",
    "[intake]") {
  Town t;
  std::string pdf = "%PDF-1.4\n% courrier de M. Nicolaievitch\n";
  while (pdf.size() < 3000) pdf += "0 0 m 595 842 l S\n";
  auto out = t.ingest(intake_mail(t, "letter-1@champignac.example",
                                  "Canal : courrier\r\nDemandeur : M. Jean Nicolaïevitch\r\nAdresse : 3 rue du Moulin, "
                                  "99123 Champignac-en-Cambrousse\r\nReçu le : 1er décembre\r\nObjet : Demande de "
                                  "concession au cimetière\r\n",
                                  "Courrier scanné ci-joint.", std::string("Claire Garnier <") + kClaire + ">", pdf),
                      "mairie");
  REQUIRE(out.action == engine::Action::created);
  auto r = t.request(out.reference);
  CHECK(r.channel == "courrier");
  CHECK(r.requester.address.empty());
  CHECK(r.requester_postal == "3 rue du Moulin, 99123 Champignac-en-Cambrousse");
  CHECK(r.received_at == from_local(2026, 12, 1, 12));
  REQUIRE(r.messages.size() == 1);
  REQUIRE(r.messages[0].attachments.size() == 1);
  CHECK(r.messages[0].attachments[0].filename == "courrier.pdf");
  CHECK(r.messages[0].attachments[0].size == static_cast<std::int64_t>(pdf.size()));
  auto pdf_back = t.st->blob(r.messages[0].attachments[0].sha256);
  REQUIRE(pdf_back);
  REQUIRE(*pdf_back);
  CHECK(**pdf_back == pdf);
  CHECK(t.outbox("acknowledgement", r.id).empty());  // nobody to mail it to
  REQUIRE(t.events(out.reference, "acknowledgement_handed").size() == 1);
  const std::string handed = mail_to(t, "receipt", kClaire);
  CHECK(handed.find("Imprimez-le et envoyez-le à son adresse") != std::string::npos);
  CHECK(handed.find("3 rue du Moulin") != std::string::npos);
  CHECK(handed.find("a bien reçu votre courrier le 1er décembre 2026.") != std::string::npos);
  CHECK(handed.find("adressez-vous au service ci-dessus en rappelant la référence " + out.reference) !=
        std::string::npos);
  CHECK(handed.find("répondez simplement à ce courriel") == std::string::npos);
}

TEST_CASE("intake: bad blocks are refused with the reason and create no request, and the mail is kept",
          "[intake][malformed]") {
  Town t;
  SECTION("neither address nor phone: accepted, the agent reads the acknowledgement out") {
    auto out = t.ingest(intake_mail(t, "visit-1@champignac.example", "Canal : guichet\r\nDemandeur : M. Fantasio\r\n",
                                    "Demande une attestation d'accueil."),
                        "mairie");
    REQUIRE(out.action == engine::Action::created);
    CHECK(t.request(out.reference).channel == "guichet");
    CHECK(t.request(out.reference).subject == "Demande une attestation d'accueil.");
    const std::string handed = mail_to(t, "receipt", kClaire);
    CHECK(handed.find("Remettez-le lui, ou lisez-le lui") != std::string::npos);
    CHECK(handed.find("votre demande au guichet le 3 décembre 2026") != std::string::npos);
  }
  struct Bad {
    const char* block;
    const char* reason;
  };
  const Bad bad[] = {
      {"Canal : téléphone\r\nDemandeur : Mme Seccotine\r\nCourriel : sophie at example\r\n",
       "Courriel : « sophie at example » n'est pas une adresse électronique"},
      {"Canal : téléphone\r\nDemandeur : Mme Seccotine\r\nReçu le : demain\r\n",
       "Reçu le : « demain » n'est pas une date"},
      {"Canal : téléphone\r\nDemandeur : Mme Seccotine\r\nReçu le : 24/12/2026\r\n",
       "Reçu le : le 24 décembre 2026 n'est pas encore arrivé"},
      {"Canal : téléphone\r\nDemandeur : Mme Seccotine\r\nReçu le : 31/02\r\n",
       "Reçu le : « 31/02 » n'est pas une date"},
      {"Canal : pigeon\r\nDemandeur : Mme Seccotine\r\n",
       "Canal : « pigeon » n'est pas téléphone, guichet ni courrier"},
      {"Demandeur : Mme Seccotine\r\n", "Canal : manquant"},
      {"Canal : téléphone\r\n", "Demandeur : manquant"},
      {"Canal : téléphone\r\nDemandeur : Mme Seccotine\r\nService : voirie\r\n", "Service : ne sert pas"},
  };
  int n = 0;
  for (const Bad& b : bad) {
    const std::string id = "bad-" + std::to_string(++n) + "@champignac.example";
    INFO(b.block);
    const std::int64_t before = count_requests(t);
    auto out = t.ingest(intake_mail(t, id, b.block, "Texte."), "mairie");
    CHECK(out.action == engine::Action::answer_refused);
    CHECK(out.reference.rfind("M2026-", 0) == 0);  // kept apart, findable
    CHECK(count_requests(t) == before);            // no request
    const std::string told = mail_to(t, "receipt", kClaire);
    CHECK(told.find(b.reason) != std::string::npos);
    CHECK(told.find("Votre courriel est conservé sous la référence " + out.reference) != std::string::npos);
    CHECK(t.outbox("acknowledgement").empty());
  }
}

TEST_CASE("intake: a forged sender or another agent's token records nothing", "[intake][security]") {
  Town t;
  const std::string block = "Canal : téléphone\r\nDemandeur : Mme Seccotine\r\nCourriel : s@example.org\r\n";
  // A resident who learned Claire's intake address.
  auto forged = t.ingest(intake_mail(t, "forged-1@example.org", block, "Texte.", "Claire <claire.garnier@example.org>"),
                         "mairie");
  CHECK(forged.action == engine::Action::answer_refused);
  CHECK(count_requests(t) == 0);
  CHECK(t.outbox("acknowledgement").empty());
  // Paul using Claire's intake address: the token names Claire, the mail is Paul's.
  auto other = t.ingest(
      intake_mail(t, "other-1@champignac.example", block, "Texte.", "Paul Martin <p.martin@champignac.example>"),
      "mairie");
  CHECK(other.action == engine::Action::answer_refused);
  CHECK(count_requests(t) == 0);
  // A tampered token (the agent changed to Paul, the MAC left as it was).
  std::string addr = intake_address(t);
  addr.replace(addr.find("cgarnier"), 8, "pmartin");
  std::string raw =
      intake_mail(t, "tamper-1@champignac.example", block, "Autre texte.", "Paul Martin <p.martin@champignac.example>");
  raw.replace(raw.find(intake_address(t)), intake_address(t).size(), addr);
  CHECK(t.ingest(raw, "mairie").action == engine::Action::answer_refused);
  CHECK(count_requests(t) == 0);
}

TEST_CASE("guichet new records a call from the command line through the same path", "[intake][cli]") {
  Town t;
  t.st.reset();  // the command opens the database itself
  const std::string cfg = t.args();
  auto ok =
      test::run_guichet("new " + cfg +
                        " --channel telephone --requester 'Mme Sophie Seccotine' --agent c.garnier@champignac.example"
                        " --email sophie@example.org --text 'Un nid-de-poule rue du Moulin.' --mailbox voirie"
                        " --received-on 2026-12-01 --now 2026-12-03T10:30 --json");
  INFO(ok.err);
  REQUIRE(ok.status == 0);
  auto j = nlohmann::json::parse(ok.out);
  CHECK(j["channel"] == "telephone");
  CHECK(j["department"] == "voirie");
  CHECK(j["requester"]["name"] == "Mme Sophie Seccotine");
  const std::string ref = j["reference"].get<std::string>();
  auto shown = test::run_guichet("show --json " + ref + " " + cfg);
  REQUIRE(shown.status == 0);
  auto s = nlohmann::json::parse(shown.out);
  bool queued = false;
  for (const auto& e : s["events"]) queued = queued || e["kind"] == "acknowledgement_queued";
  CHECK(queued);
  auto text =
      test::run_guichet("new " + cfg +
                        " --channel guichet --requester 'M. Fantasio' --agent cgarnier --text 'Une attestation.'"
                        " --mailbox mairie");
  CHECK(text.status == 0);
  CHECK(text.out.find("recorded (guichet) for M. Fantasio") != std::string::npos);
  CHECK(text.out.find("to hand over") != std::string::npos);
  // Refused: nothing stored, every reason given.
  auto bad = test::run_guichet("new " + cfg +
                               " --channel fax --requester 'X' --email 'pas une adresse' --agent cgarnier"
                               " --received-on 'le 45'");
  CHECK(bad.status == 65);
  CHECK(bad.err.find("Canal : « fax »") != std::string::npos);
  CHECK(bad.err.find("Courriel : « pas une adresse »") != std::string::npos);
  CHECK(bad.err.find("Reçu le : « le 45 »") != std::string::npos);
  CHECK(test::run_guichet("new " + cfg + " --channel telephone --requester X --agent nobody").status == 65);
  auto list = nlohmann::json::parse(test::run_guichet("list --json " + cfg).out);
  CHECK(list.size() == 2);
  auto addr = test::run_guichet("intake-address cgarnier --mailbox mairie " + cfg);
  CHECK(addr.status == 0);
  CHECK(addr.out.rfind("mairie+i.mairie.cgarnier.", 0) == 0);
}
