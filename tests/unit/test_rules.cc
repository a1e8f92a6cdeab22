// Routing rules (lib/routing): operators, combinators, first match and continue, validation with
// places, and the shipped rules on realistic mail.
#include <catch2/catch.hpp>

#include <map>

#include "directory/directory.h"
#include "helpers.h"
#include "mail/parse.h"
#include "routing/rules.h"
#include "transport/mail_files.h"

using namespace guichet;
using routing::RuleSet;

namespace {

directory::Directory small_directory() {
  auto dir = directory::Directory::parse(R"(departments:
  - {id: urbanisme, name: Urbanisme, email: u@c.fr, address: Mairie, phone: "01", head: marie}
  - {id: voirie, name: Voirie, email: v@c.fr, address: CTM, phone: "02"}
  - {id: accueil, name: Accueil, email: a@c.fr, address: Mairie, phone: "03"}
agents:
  - {id: marie, first_name: Marie, last_name: Dupont, title: Instructrice, email: m@c.fr, departments: [urbanisme]}
  - {id: paul, first_name: Paul, last_name: Martin, title: Chef, email: p@c.fr, departments: [voirie]}
)",
                                         "directory.yaml");
  REQUIRE(dir);
  return std::move(*dir);
}

RuleSet rules(const std::string& yaml, const std::set<std::string>& templates = {}) {
  static const directory::Directory dir = small_directory();
  auto r = RuleSet::parse(yaml, "rules.yaml", dir, templates);
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r);
  return std::move(*r);
}

routing::Evaluation run(const RuleSet& set, const std::string& raw, const std::string& mailbox = "mairie") {
  static mail::Message m;  // the view points at it
  m = mail::parse(raw);
  return set.evaluate(routing::MessageView{mailbox, &m});
}

std::string department(const routing::Evaluation& e) { return e.action.department.value_or("-"); }

}  // namespace

TEST_CASE("contains ignores case and accents unless told otherwise", "[rules]") {
  auto set = rules(R"(- name: DP
  when: { subject: déclaration préalable }
  then: { department: urbanisme }
)");
  CHECK(department(run(set, "Subject: DECLARATION PREALABLE pour un abri\n\nx\n")) == "urbanisme");
  CHECK(department(run(set, "Subject: =?utf-8?Q?D=C3=A9claration_pr=C3=A9alable?=\n\nx\n")) == "urbanisme");
  CHECK(department(run(set, "Subject: declaration  prealable\n\nx\n")) == "urbanisme");  // spacing folded
  CHECK(department(run(set, "Subject: permis\n\nx\n")) == "-");

  auto strict = rules(R"(- name: strict
  when: { subject: { contains: Réf, case_sensitive: true, accent_sensitive: true } }
  then: { department: accueil }
)");
  CHECK(department(run(strict, "Subject: =?utf-8?Q?R=C3=A9f?= 42\n\nx\n")) == "accueil");
  CHECK(department(run(strict, "Subject: ref 42\n\nx\n")) == "-");
  CHECK(department(run(strict, "Subject: REF 42\n\nx\n")) == "-");
}

TEST_CASE("equals, in and regex", "[rules]") {
  auto set = rules(R"(- name: exact sender
  when: { from: { equals: Jean@Example.fr } }
  then: { department: voirie }
- name: domains
  when: { from_domain: { in: [mairie.example, champignac.example] } }
  then: { department: accueil }
- name: reference-like
  when: { body: { regex: 'parcelle [a-z]{1,2} ?\d+' } }
  then: { department: urbanisme }
)");
  CHECK(department(run(set, "From: jean@example.fr\n\nx\n")) == "voirie");
  CHECK(department(run(set, "From: Jean <jean@example.fr.evil>\n\nx\n")) == "-");
  CHECK(department(run(set, "From: agent@champignac.example\n\nx\n")) == "accueil");
  CHECK(department(run(set, "From: z@z.fr\n\nLa PARCELLE AB 123 est concernée.\n")) == "urbanisme");
  // The regex ignores accents too: "é" in the text matches "e" in the pattern.
  auto accents = rules(R"(- name: r
  when: { subject: { regex: '^d[e]claration' } }
  then: { department: urbanisme }
)");
  CHECK(department(run(accents, "Subject: =?utf-8?Q?D=C3=A9claration?=\n\nx\n")) == "urbanisme");
}

TEST_CASE("fields: mailbox, recipients, attachments, any header", "[rules]") {
  auto set = rules(R"(- name: mailbox
  when: { mailbox: { equals: urbanisme } }
  then: { department: urbanisme }
- name: plans
  when: { all: [ { attachment_type: application/pdf }, { attachment_name: plan } ] }
  then: { department: urbanisme }
- name: cc voirie
  when: { recipients: voirie@c.fr }
  then: { department: voirie }
- name: mailer
  when: { header:X-Mailer: { contains: Outlook } }
  then: { department: accueil }
)");
  CHECK(department(run(set, "Subject: x\n\nx\n", "urbanisme")) == "urbanisme");
  CHECK(department(run(set, "To: a@b.fr\nCc: Voirie <voirie@c.fr>\n\nx\n")) == "voirie");
  CHECK(department(run(set, "X-Mailer: Microsoft Outlook 16.0\n\nx\n")) == "accueil");
  std::string with_plan =
      "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nci-joint\n--B\n"
      "Content-Type: application/pdf\nContent-Disposition: attachment; filename=\"Plan de masse.pdf\"\n\n%PDF\n--B--\n";
  CHECK(department(run(set, with_plan)) == "urbanisme");
}

TEST_CASE("all, any, not, and a trace of every test evaluated", "[rules]") {
  auto set = rules(R"(- name: Voirie sauf travaux privés
  when:
    all:
      - any: [ { subject: trottoir }, { subject: chaussée } ]
      - not: { body: entreprise privée }
  then: { department: voirie }
)");
  auto yes = run(set, "Subject: Trottoir abîmé\n\nDevant chez moi.\n");
  CHECK(department(yes) == "voirie");
  REQUIRE(yes.trace.size() == 6);
  CHECK(yes.trace[0] == "rule #1 \"Voirie sauf travaux privés\" (rules.yaml:1:3): matched");
  CHECK(yes.trace[1] == "  all: yes");
  CHECK(yes.trace[2] == "    any: yes");
  CHECK(yes.trace[3] == "      subject contains \"trottoir\": yes");
  CHECK(yes.trace[4] == "    not: yes");
  CHECK(yes.trace[5] == "      body contains \"entreprise privée\": no");
  auto no = run(set, "Subject: chaussee\n\nTravaux d'une entreprise privee.\n");
  CHECK(department(no) == "-");
  CHECK(no.trace.back() == "no rule matched: the mailbox's department applies");
}

TEST_CASE("first match wins, continue lets later rules add to it", "[rules]") {
  auto set = rules(R"(- name: urgent
  when: { subject: urgent }
  then: { priority: urgent, tags: [urgent] }
  continue: true
- name: voirie
  when: { subject: trottoir }
  then: { department: voirie, agent: paul, kind: { silence: rejection, delay: 2 months }, tags: [voirie] }
- name: never reached after voirie
  when: always
  then: { department: accueil }
)");
  auto e = run(set, "Subject: URGENT trottoir effondre\n\nx\n");
  CHECK(e.matched == std::vector<std::string>{"urgent", "voirie"});
  CHECK(department(e) == "voirie");
  CHECK(e.action.agent == std::optional<std::string>("paul"));
  CHECK(e.action.priority == std::optional<std::string>("urgent"));
  CHECK(e.action.tags == std::vector<std::string>{"urgent", "voirie"});
  REQUIRE(e.action.kind);
  CHECK(e.action.kind->silence == routing::Silence::rejection);
  CHECK(e.action.kind->delay->text() == "2 mois");
  CHECK(department(run(set, "Subject: autre\n\nx\n")) == "accueil");
}

TEST_CASE("every rules error is reported with its place", "[rules]") {
  static const directory::Directory dir = small_directory();
  auto r = RuleSet::parse(R"(- name: one
  when: { sujet: permis }
  then: { department: urbanism }
- name: two
  when: { subject: { regex: '(unclosed' } }
  then: { department: voirie, agent: marie, template: inconnu }
- name: three
  when: { subject: { contains: a, equals: b } }
  then: { kind: { silence: acceptance }, departement: voirie }
- name: four
  when: { subject: x }
  then: { agent: round-robin, priority: vital }
  then: { department: voirie }
- name: five
)",
                          "rules/10-test.yaml", dir, {"accuse-reception"});
  REQUIRE_FALSE(r);
  CHECK(r.error().code == Errc::config);
  const std::string& e = r.error().message;
  INFO(e);
  CHECK(e.find("rules/10-test.yaml:2:11: unknown field \"sujet\"") != std::string::npos);
  CHECK(e.find("rules/10-test.yaml:3:23: unknown department \"urbanism\"") != std::string::npos);
  CHECK(e.find("rules/10-test.yaml:5:29: bad regular expression \"(unclosed\"") != std::string::npos);
  CHECK(e.find("rules/10-test.yaml:6:38: agent \"marie\" is not in department \"voirie\"") != std::string::npos);
  CHECK(e.find("rules/10-test.yaml:6:55: unknown template \"inconnu\"") != std::string::npos);
  CHECK(e.find("rules/10-test.yaml:8:20: give exactly one operator") != std::string::npos);
  CHECK(e.find("rules/10-test.yaml:9:17: silence means acceptance or rejection only after a delay") != std::string::npos);
  CHECK(e.find("rules/10-test.yaml:9:42: unknown key \"departement\"") != std::string::npos);
  CHECK(e.find("rules/10-test.yaml:12:18: \"round-robin\" needs a department in the same rule") != std::string::npos);
  CHECK(e.find("rules/10-test.yaml:12:41: priority must be low, normal, high or urgent") != std::string::npos);
  CHECK(e.find("rules/10-test.yaml:13:3: duplicate key \"then\"") != std::string::npos);
  CHECK(e.find("rules/10-test.yaml:14:3: missing required key \"when\"") != std::string::npos);
}

TEST_CASE("the shipped rules route realistic resident mail", "[rules][shipped]") {
  auto dir = directory::Directory::load(std::string(GUICHET_SOURCE_DIR) + "/etc/directory.yaml");
  REQUIRE(dir);
  auto set = RuleSet::load(std::string(GUICHET_SOURCE_DIR) + "/rules", *dir, {});
  INFO((set ? std::string() : set.error().message));
  REQUIRE(set);
  CHECK(set->rules().size() == 9);
  struct Row {
    const char* subject;
    const char* body;
    const char* to;
    const char* department;
  };
  const Row rows[] = {
      {"Déclaration préalable pour une véranda", "Bonjour, quelles pièces fournir ?", "mairie@champignac.example", "urbanisme"},
      {"Question travaux", "Faut-il un permis de construire pour 25 m² ?", "mairie@champignac.example", "urbanisme"},
      {"Nid-de-poule dangereux rue des Écoles", "Un cycliste est tombé.", "mairie@champignac.example", "voirie"},
      {"LAMPADAIRE ETEINT avenue Jean-Jaurès", "Depuis une semaine.", "mairie@champignac.example", "voirie"},
      {"Dépôt sauvage derrière le gymnase", "Un matelas.", "mairie@champignac.example", "proprete"},
      {"Demande d'acte de naissance", "Copie intégrale.", "mairie@champignac.example", "etat-civil"},
      {"Inscription sur les listes électorales", "Je viens d'emménager.", "mairie@champignac.example", "elections"},
      {"Concession n° 42 : renouvellement", "Échue en 2026.", "mairie@champignac.example", "cimetiere"},
      {"Horaires de la cantine pendant les vacances", "Merci.", "mairie@champignac.example", "enfance"},
      {"Bruit du bar après minuit", "Encore.", "mairie@champignac.example", "police-municipale"},
      {"Horaires d'ouverture le samedi", "Bonjour.", "mairie@champignac.example", "accueil"},
      {"Une question", "Bonjour.", "urbanisme@champignac.example", "urbanisme"},
  };
  for (const auto& row : rows) {
    INFO(row.subject);
    auto e = run(*set, std::string("From: r@x.fr\nTo: ") + row.to + "\nSubject: " + row.subject +
                           "\nContent-Type: text/plain; charset=utf-8\n\n" + row.body + "\n");
    CHECK(department(e) == row.department);
    CHECK(e.action.agent.has_value());
  }
  // And the demo's resident mail.
  std::map<std::string, std::string> demo;
  auto r = transport::read_mail_path(std::string(GUICHET_SOURCE_DIR) + "/etc/demo/inbox", [&](transport::RawMail&& raw) -> Result<void> {
    auto e = run(*set, raw.bytes);
    mail::Message m = mail::parse(raw.bytes);
    demo[m.subject] = department(e);
    return {};
  });
  REQUIRE(r);
  CHECK(demo["Déclaration préalable pour une véranda"] == "urbanisme");
  CHECK(demo["Nid-de-poule dangereux rue des Écoles"] == "voirie");
  CHECK(demo["Demande d'acte de naissance"] == "etat-civil");
  CHECK(demo["Horaires de la cantine pendant les vacances"] == "enfance");
  CHECK(demo["Bruit du bar après minuit"] == "police-municipale");
  CHECK(demo["Dépôt sauvage derrière le gymnase"] == "proprete");
}
