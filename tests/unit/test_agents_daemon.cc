// Agents answering from their mail client, end to end: the shared mailbox in a real Dovecot, the
// outgoing mail into a real SMTP server (aiosmtpd), the guichet binary in between
// (`serve --once`). What a resident receives is read where it arrives.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "helpers.h"
#include "mail/parse.h"
#include "servers.h"
#include "town.h"

using namespace guichet;
using nlohmann::json;

namespace {

struct Desk {
  test::TempDir dir;
  test::Dovecot dovecot;
  test::SmtpServer smtp;

  Desk() {
    dovecot.start();
    smtp.start();
    // The agent's Sent items and the shared box's own Sent folder exist, as on a real server.
    dovecot.doveadm("mailbox create -u guichet Sent");
    test::write_file(dir.path() / "imap-password", "secret\n");
    test::write_file(dir.path() / "guichet.yaml",
                     "commune: Champignac-en-Cambrousse\ndatabase: g.db\ndirectory: " +
                         std::string(GUICHET_SOURCE_DIR) + "/etc/directory.yaml\nrules: " + GUICHET_SOURCE_DIR +
                         "/rules\nmailboxes:\n  - name: voirie\n    url: " + dovecot.url() +
                         "\n    tls: none\n    user: guichet\n    password_file: imap-password\n    address: "
                         "voirie@champignac.example\n    department: voirie\n    start: all\n    sent_folder: Sent\n"
                         "smtp:\n  url: " +
                         smtp.url() + "\n  tls: none\ndeadlines:\n  digest_at: 'off'\n");
  }
  std::string args() const { return "--config '" + dir.str("guichet.yaml") + "'"; }
  void cycle() {
    auto r = test::run_guichet("serve --once " + args());
    INFO(r.err);
    REQUIRE(r.status == 0);
  }
  // What the SMTP server received, parsed, with its envelope recipient.
  std::vector<std::pair<std::string, mail::Message>> received() {
    std::vector<std::pair<std::string, mail::Message>> out;
    auto raws = smtp.received();
    auto envs = smtp.envelopes();
    for (size_t i = 0; i < raws.size(); ++i)
      out.emplace_back(json::parse(envs[i])["rcpt_tos"][0].get<std::string>(), mail::parse(raws[i]));
    return out;
  }
  std::vector<mail::Message> to(const std::string& rcpt, bool automatic) {
    std::vector<mail::Message> out;
    for (auto& [r, m] : received())
      if (r == rcpt && automatic == !m.auto_submitted_header.empty()) out.push_back(m);
    return out;
  }
  json show(const std::string& ref) {
    auto r = test::run_guichet("show --json " + args() + " " + ref);
    REQUIRE(r.status == 0);
    return json::parse(r.out);
  }
};

// "[Réf. 2026-000001] …" → "2026-000001".
std::string reference_of(const mail::Message& m) {
  const size_t start = m.subject.find("f. ") + 3;
  return m.subject.substr(start, m.subject.find(']') - start);
}

const char* kResident = "lea.martin@example.org";
const char* kAgent = "p.martin@champignac.example";

}  // namespace

TEST_CASE("end to end: resident mail, acknowledgement, notice, the agent answers from Outlook and Thunderbird",
          "[daemon][dovecot][answers]") {
  Desk desk;
  desk.dovecot.deliver(test::resident_mail("e2e-1@example.org", "Lampadaire éteint rue des Écoles"));
  desk.cycle();
  auto acks = desk.to(kResident, true);
  REQUIRE(acks.size() == 1);
  auto notices = desk.to(kAgent, true);
  REQUIRE(notices.size() == 1);
  const std::string ref = reference_of(acks[0]);
  auto client = GENERATE(test::Client::outlook, test::Client::thunderbird);
  // The agent's client sends the answer to the notice's Reply-To: the shared mailbox receives it.
  desk.dovecot.deliver(test::agent_reply(notices[0], "Paul Martin <p.martin@champignac.example>",
                                         "Bonjour Madame,\nLe lampadaire sera réparé jeudi.\nCordialement,", client,
                                         "e2e-answer@champignac.example"));
  desk.cycle();
  auto answers = desk.to(kResident, false);
  REQUIRE(answers.size() == 1);  // exactly one
  const auto& a = answers[0];
  CHECK(a.from.front().address == "voirie@champignac.example");
  CHECK(a.text.find("Le lampadaire sera réparé jeudi.") != std::string::npos);
  CHECK(a.text.find("Paul Martin") != std::string::npos);
  CHECK(a.text.find("Responsable des services techniques") != std::string::npos);
  CHECK(a.text.find("confiée") == std::string::npos);  // no quoted notice
  CHECK(a.text.find("[guichet") == std::string::npos);
  json r = desk.show(ref);
  CHECK(r["status"] == "answered");
  CHECK(r["answers"][0]["how"] == "relayed");
  CHECK(r["answers"][0]["agent"] == "pmartin");
  // Another cycle sends nothing again.
  desk.cycle();
  CHECK(desk.to(kResident, false).size() == 1);
}

TEST_CASE("end to end: two agents answering in one poll (the second held), the shared mailbox in Cc, the Sent folder",
          "[daemon][dovecot][answers]") {
  Desk desk;
  desk.dovecot.deliver(test::resident_mail("e2e-2@example.org", "Trottoir abîmé"));
  desk.cycle();
  auto notice = desk.to(kAgent, true).at(0);
  const std::string ref = reference_of(desk.to(kResident, true).at(0));
  SECTION("two answers from the same notice in one poll") {
    desk.dovecot.deliver(test::agent_reply(notice, kAgent, "Première réponse.", test::Client::outlook, "two-1@x"));
    desk.dovecot.deliver(test::agent_reply(notice, kAgent, "Seconde réponse.", test::Client::thunderbird, "two-2@x"));
    desk.cycle();
    auto answers = desk.to(kResident, false);
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].text.find("Première réponse.") != std::string::npos);
    auto outbox = test::run_guichet("outbox --json " + desk.args());
    REQUIRE(outbox.status == 0);
    bool held = false;
    for (const auto& m : json::parse(outbox.out)) held = held || m["status"] == "held";
    CHECK(held);
    CHECK(desk.show(ref)["answers"].size() == 2);
  }
  SECTION("the agent answers the resident directly, the shared mailbox in Cc") {
    desk.dovecot.deliver(test::resident_mail("direct@champignac.example", "Re: Trottoir abîmé",
                                             "Paul Martin <p.martin@champignac.example>",
                                             std::string(kResident) + "\r\nCc: voirie@champignac.example",
                                             "In-Reply-To: <e2e-2@example.org>\r\n", "Madame, c'est noté.\r\n"));
    desk.cycle();
    CHECK(desk.to(kResident, false).empty());  // nothing sent again
    json r = desk.show(ref);
    CHECK(r["status"] == "answered");
    CHECK(r["answers"][0]["how"] == "direct");
  }
  SECTION("from the shared mailbox itself: its Sent folder") {
    desk.dovecot.deliver(test::resident_mail("sent@champignac.example", "RE: Trottoir abîmé",
                                             "Services techniques <voirie@champignac.example>", kResident,
                                             "In-Reply-To: <e2e-2@example.org>\r\n", "Madame, c'est réparé.\r\n"),
                         "Sent");
    desk.cycle();
    CHECK(desk.to(kResident, false).empty());
    json r = desk.show(ref);
    CHECK(r["status"] == "answered");
    CHECK(r["answers"][0]["how"] == "sent-folder");
  }
}

TEST_CASE("end to end: Service : voirie from the agent's mail client moves a request, the resident hears from voirie",
          "[daemon][dovecot][commands]") {
  Desk desk;
  // A resident writes about a pothole to the front desk's address; the rules give it to the accueil.
  desk.dovecot.deliver(test::resident_mail("wrong-1@example.org", "Une question pour la mairie",
                                           "Léa Martin <lea.martin@example.org>", "mairie@champignac.example"));
  desk.cycle();
  const std::string ref = reference_of(desk.to(kResident, true).at(0));
  json before = desk.show(ref);
  REQUIRE(before["department"] == "accueil");  // the catch-all rule: the front desk
  // It is about the road: Claire Garnier, at the front desk, sends it on to voirie.
  const std::string garnier = "c.garnier@champignac.example";
  auto notice = desk.to(garnier, true).at(0);
  desk.dovecot.deliver(test::agent_reply(notice, garnier, "Service : voirie", test::Client::outlook, "move-1@x"));
  desk.cycle();
  json r = desk.show(ref);
  CHECK(r["department"] == "voirie");
  CHECK(r["agent"] == "pmartin");
  CHECK_FALSE(r["clocks"]["competent_since"].is_null());
  auto mails = desk.to(kResident, true);
  REQUIRE(mails.size() == 2);  // the acknowledgement, then one transfer notice
  CHECK(mails[1].from.front().address == "voirie@champignac.example");
  CHECK(mails[1].text.find("Paul Martin") != std::string::npos);
  CHECK(mails[1].text.find("transmise par Accueil de la mairie") != std::string::npos);
  // The receipt to Claire Garnier, and the notice to Paul Martin.
  bool receipt = false;
  for (const auto& m : desk.to(garnier, true)) receipt = receipt || m.text.find("fait : demande transférée") != std::string::npos;
  CHECK(receipt);
  CHECK(desk.to(kAgent, true).size() == 1);
}

TEST_CASE("guichet transfer: the admin moves a request from the command line", "[cli][commands]") {
  test::Town t;
  const auto ref = t.ingest(test::resident_mail("cli-1@example.org", "Lampadaire éteint")).reference;
  auto r = test::run_guichet("transfer " + t.args() + " " + ref + " 'Enfance, écoles et périscolaire' --actor alice");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("transférée au service Enfance, écoles et périscolaire") != std::string::npos);
  auto req = t.request(ref);
  CHECK(req.department == std::optional<std::string>("enfance"));
  CHECK(req.agent == std::optional<std::string>("lbernard"));
  bool audited = false;
  for (const auto& e : req.events) audited = audited || (e.kind == "transferred" && e.actor == "admin:alice");
  CHECK(audited);
  auto bad = test::run_guichet("transfer " + t.args() + " " + ref + " inconnu");
  CHECK(bad.status == 65);
  CHECK(bad.err.find("service inconnu") != std::string::npos);
  auto missing = test::run_guichet("transfer " + t.args() + " 2026-999999 voirie");
  CHECK(missing.status == 65);
  auto now = test::run_guichet("list --now yesterday " + t.args());
  CHECK(now.status == 64);
}
