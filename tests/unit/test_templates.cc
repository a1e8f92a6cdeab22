// Templates (lib/templates): plain-text rendering without HTML escaping, the unknown-variable
// check with places, folder overrides, and every mention the law asks of an acknowledgement
// (docs/legal.md §1, docs/templates.md).
#include <catch2/catch.hpp>

#include "calendar/calendar.h"
#include "helpers.h"
#include "templates/letter.h"
#include "templates/templates.h"

using namespace guichet;
using templates::TemplateSet;

namespace {

bool has(const std::vector<std::string>& problems, const std::string& needle) {
  for (const auto& p : problems)
    if (p.find(needle) != std::string::npos) return true;
  return false;
}

struct Fixture {
  directory::Department service{"voirie",
                                "Services techniques, voirie",
                                "voirie@champignac.example",
                                "Centre technique municipal, 4 rue des Ateliers, 99123 Champignac",
                                "01 23 45 67 20",
                                "pmartin",
                                std::nullopt,
                                {}};
  directory::Agent agent{"pmartin",
                         "Paul",
                         "Martin",
                         "Responsable des services techniques",
                         "Centre technique municipal, 4 rue des Ateliers, 99123 Champignac",
                         "p.martin@champignac.example",
                         {"voirie"},
                         false,
                         std::nullopt,
                         "",
                         {}};

  templates::Letter letter(const std::string& silence) {
    templates::Letter l;
    l.commune = "Champignac-en-Cambrousse";
    l.reference = "2026-000042";
    l.subject = "Lampadaire éteint devant l'école";
    l.received_at = 1796303100;  // 3 December 2026, 14:05 in Paris
    l.resident = mail::Address{"Léa N'Diaye", "lea@example.org"};
    l.service = &service;
    l.agent = &agent;
    l.silence = silence;
    if (silence != "none") {
      l.delay = "2 mois";
      l.deemed_decision_on = calendar::Date{2027, 2, 3};
    }
    return l;
  }
};

std::string render(const std::string& name, const templates::Letter& l) {
  static const auto set = TemplateSet::builtin();
  REQUIRE(set);
  auto out = set->render(name, templates::letter_data(l));
  REQUIRE(out);
  return *out;
}

void set_paris() {
  setenv("TZ", "Europe/Paris", 1);
  tzset();
}

}  // namespace

TEST_CASE("templates render plain text: accents, apostrophes and quotes are not HTML-escaped", "[templates]") {
  test::TempDir dir;
  test::write_file(dir.path() / "accuse-reception.mustache",
                   "Objet : « {{subject}} » — {{resident.name}} <{{resident.email}}> & co\n");
  auto set = TemplateSet::load(dir.str());
  REQUIRE(set);
  templates::Data d;
  d.set("subject", std::string("Lampadaire éteint devant l'école \"Jules Ferry\""));
  templates::Data resident;
  resident.set("name", std::string("Léa N'Diaye"));
  resident.set("email", std::string("lea@example.org"));
  d.set("resident", resident);
  auto out = set->render("accuse-reception", d);
  REQUIRE(out);
  CHECK(*out == "Objet : « Lampadaire éteint devant l'école \"Jules Ferry\" » — Léa N'Diaye <lea@example.org> & co\n");
}

TEST_CASE("a template using an unknown variable is refused with its line and column", "[templates]") {
  CHECK(templates::check("Bonjour {{resident.name}},\n{{#agent}}{{first_name}}{{/agent}}\n").empty());
  auto p = templates::check("Bonjour,\nVotre demande {{refrence}} est reçue.\n");
  REQUIRE(p.size() == 1);
  CHECK(p[0] == "2:15: unknown variable \"refrence\"");
  // Inside a section, names resolve in the section then outwards, like mustache.
  CHECK(templates::check("{{#agent}}{{last_name}} {{reference}}{{/agent}}").empty());
  CHECK(has(templates::check("{{#agent}}{{phone}}{{/agent}}"), "unknown variable \"phone\""));
  CHECK(has(templates::check("{{service.fax}}"), "1:1: unknown variable \"service.fax\""));
  CHECK(has(templates::check("{{#requests}}{{reference}} {{resident_name}}{{/requests}}{{resident_name}}"),
            "1:58: unknown variable \"resident_name\""));
  CHECK(templates::check("{{{subject}}} {{&subject}} {{! a comment with {{braces }}").empty());
}

TEST_CASE("template structure errors are reported, not rendered", "[templates]") {
  CHECK(has(templates::check("{{#agent}}\nsans fin\n"), "1:1: section \"agent\" is never closed"));
  CHECK(has(templates::check("{{#agent}}x{{/service}}"), "{{/service}} closes \"agent\""));
  CHECK(has(templates::check("{{> pied}}"), "partials"));
  CHECK(has(templates::check("{{=<% %>=}}"), "delimiters"));
  CHECK(has(templates::check("Bonjour {{reference"), "unclosed tag"));
  CHECK(has(templates::check("a\x01z"), "control character"));
}

TEST_CASE("a templates folder overrides the built-in ones file by file, errors carry file:line:column", "[templates]") {
  test::TempDir dir;
  test::write_file(dir.path() / "accuse-reception.mustache", "Reçu {{received}}.\n");
  test::write_file(dir.path() / "merci.mustache", "Merci {{resident.name}}.\n");
  auto set = TemplateSet::load(dir.str());
  REQUIRE(set);
  CHECK(set->origin("accuse-reception") == dir.str("accuse-reception.mustache"));
  CHECK(set->origin("accuse-enregistrement") == "built-in:accuse-enregistrement");
  CHECK(set->has("merci"));
  for (const char* name : templates::required()) CHECK(set->has(name));

  test::write_file(dir.path() / "merci.mustache", "Merci\n  {{resident.nom}}.\n");
  auto broken = TemplateSet::load(dir.str());
  REQUIRE_FALSE(broken);
  CHECK(broken.error().code == Errc::config);
  CHECK(broken.error().message == dir.str("merci.mustache") + ":2:3: unknown variable \"resident.nom\"");
  CHECK_FALSE(TemplateSet::load(dir.str("absent")));
}

TEST_CASE("a section line that renders nothing leaves no blank line", "[templates]") {
  test::TempDir dir;
  test::write_file(dir.path() / "t.mustache",
                   "A\n{{#acceptance}}\n\nacceptée\n{{/acceptance}}\n{{#rejection}}\n\nrejetée\n{{/rejection}}\n"
                   "  {{! a comment line }}\n\nB\n");
  auto set = TemplateSet::load(dir.str());
  REQUIRE(set);
  templates::Data d;
  d.set("acceptance", false);
  d.set("rejection", true);
  CHECK(*set->render("t", d) == "A\n\nrejetée\n\nB\n");
  d.set("rejection", false);
  CHECK(*set->render("t", d) == "A\n\nB\n");
}

TEST_CASE("every built-in template is valid and renders for a request", "[templates]") {
  set_paris();
  auto set = TemplateSet::builtin();
  REQUIRE(set);
  Fixture f;
  for (const char* name : templates::required()) {
    INFO(name);
    auto out = set->render(name, templates::letter_data(f.letter("rejection")));
    REQUIRE(out);
    CHECK(out->find("Champignac-en-Cambrousse") != std::string::npos);
    CHECK(out->find("&apos;") == std::string::npos);
    CHECK(out->find("\n\n\n") == std::string::npos);
  }
}

// R112-11-1 and L111-2, one check per mention (docs/legal.md §1).
TEST_CASE("the default acknowledgement carries every mention the law requires", "[templates][legal]") {
  set_paris();
  Fixture f;
  const std::string rejection = render(templates::kAcknowledgement, f.letter("rejection"));
  const std::string acceptance = render(templates::kAcknowledgement, f.letter("acceptance"));
  INFO(rejection);

  SECTION("1. the date the email was received") {
    CHECK(rejection.find("le 3 décembre 2026 à 14 h 05") != std::string::npos);
  }
  SECTION("2. the service in charge, its postal and email addresses and its phone") {
    for (const auto* text : {&rejection, &acceptance}) {
      CHECK(text->find("Services techniques, voirie") != std::string::npos);
      CHECK(text->find("Centre technique municipal, 4 rue des Ateliers, 99123 Champignac") != std::string::npos);
      CHECK(text->find("voirie@champignac.example") != std::string::npos);
      CHECK(text->find("01 23 45 67 20") != std::string::npos);
    }
  }
  SECTION("3. what silence means, and the date of the implicit decision") {
    CHECK(rejection.find("vaut décision de rejet") != std::string::npos);
    CHECK(rejection.find("réputée rejetée le 3 février 2027") != std::string::npos);
    CHECK(acceptance.find("vaut décision d'acceptation") != std::string::npos);
    CHECK(acceptance.find("réputée acceptée le 3 février 2027") != std::string::npos);
    CHECK(rejection.find("acceptée le") == std::string::npos);
  }
  SECTION("4. acceptance: the attestation of L232-3 may be asked for") {
    CHECK(acceptance.find("attestation") != std::string::npos);
    CHECK(acceptance.find("L. 232-3") != std::string::npos);
    CHECK(rejection.find("attestation") == std::string::npos);
  }
  SECTION("5. rejection: time limits and ways of appeal") {
    CHECK(rejection.find("recours gracieux") != std::string::npos);
    CHECK(rejection.find("tribunal administratif") != std::string::npos);
    CHECK(rejection.find("deux mois") != std::string::npos);
    CHECK(rejection.find("R. 421-2") != std::string::npos);
    CHECK(acceptance.find("recours gracieux") == std::string::npos);
  }
  SECTION("6. incomplete request: the missing pieces and the deadline to send them") {
    auto l = f.letter("acceptance");
    l.missing = {"le plan de situation", "la photographie de la façade"};
    l.missing_deadline = calendar::Date{2026, 12, 18};
    const std::string incomplete = render(templates::kAcknowledgement, l);
    CHECK(incomplete.find("Votre demande est incomplète") != std::string::npos);
    CHECK(incomplete.find("- le plan de situation") != std::string::npos);
    CHECK(incomplete.find("- la photographie de la façade") != std::string::npos);
    CHECK(incomplete.find("avant le 18 décembre 2026") != std::string::npos);
    CHECK(rejection.find("Votre demande est incomplète") == std::string::npos);
  }
  SECTION("L111-2: the agent's first name, last name, title and administrative address") {
    CHECK(rejection.find("Paul Martin, Responsable des services techniques") != std::string::npos);
    CHECK(rejection.find("    Centre technique municipal, 4 rue des Ateliers, 99123 Champignac\n") !=
          std::string::npos);
  }
  SECTION("L111-2's exception: an anonymous agent is not named, the service is") {
    f.agent.anonymous = true;
    const std::string anonymous = render(templates::kAcknowledgement, f.letter("rejection"));
    CHECK(anonymous.find("Martin") == std::string::npos);
    CHECK(anonymous.find("Agent chargé") == std::string::npos);
    CHECK(anonymous.find("Services techniques, voirie") != std::string::npos);
  }
  SECTION("the reference and the original subject, unescaped") {
    CHECK(rejection.find("2026-000042") != std::string::npos);
    CHECK(rejection.find("Lampadaire éteint devant l'école") != std::string::npos);
  }
}

TEST_CASE("the registration receipt goes out when the procedure is not known", "[templates][legal]") {
  set_paris();
  CHECK(templates::acknowledgement_template(std::nullopt, "none") == templates::kRegistration);
  CHECK(templates::acknowledgement_template(std::nullopt, "rejection") == templates::kAcknowledgement);
  CHECK(templates::acknowledgement_template(std::string("urbanisme"), "none") == "urbanisme");
  Fixture f;
  const std::string text = render(templates::kRegistration, f.letter("none"));
  CHECK(text.find("le 3 décembre 2026 à 14 h 05") != std::string::npos);
  CHECK(text.find("voirie@champignac.example") != std::string::npos);
  CHECK(text.find("01 23 45 67 20") != std::string::npos);
  CHECK(text.find("Paul Martin") != std::string::npos);
  CHECK(text.find("dix jours ouvrés") != std::string::npos);
}
