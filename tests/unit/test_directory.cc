#include <catch2/catch.hpp>

#include "directory/directory.h"
#include "helpers.h"

using namespace guichet;
using directory::Directory;

TEST_CASE("the example directory loads: nine services and the direction, their agents, the élus", "[directory]") {
  auto dir = Directory::load(std::string(GUICHET_SOURCE_DIR) + "/etc/directory.yaml");
  REQUIRE(dir);
  CHECK(dir->departments().size() == 10);
  for (const char* id : {"accueil", "urbanisme", "voirie", "proprete", "etat-civil", "elections", "cimetiere", "enfance",
                         "police-municipale", "direction"}) {
    INFO(id);
    const auto* d = dir->department(id);
    REQUIRE(d);
    // The mentions an acknowledgement must carry (R112-11-1).
    CHECK_FALSE(d->name.empty());
    CHECK_FALSE(d->email.empty());
    CHECK_FALSE(d->address.empty());
    CHECK_FALSE(d->phone.empty());
    CHECK(dir->assignee(d->head, id, {2026, 11, 30}) != nullptr);
  }
  const auto* marie = dir->agent("mdupont");
  REQUIRE(marie);
  CHECK(marie->first_name == "Marie");
  CHECK(marie->title == "Instructrice des autorisations d'urbanisme");
  CHECK(dir->agent("chef-pm")->anonymous);
  // Who writes from where, and who steers everything.
  CHECK(dir->agent_by_address("Marie.Dupont@champignac.example") == marie);
  CHECK(dir->agent_by_address("m.dupont@champignac.example") == marie);
  CHECK(dir->agent_by_address("lea@example.org") == nullptr);
  CHECK(dir->find_department("Services techniques, voirie") == dir->department("voirie"));
  CHECK(dir->find_department("ETAT-CIVIL") == dir->department("etat-civil"));
  CHECK(dir->find_agent("Marie Dupont") == marie);
  CHECK(dir->find_agent("dupont marie") == marie);
  CHECK(dir->is_pilot(*dir->agent("vdurand")));
  CHECK_FALSE(dir->is_pilot(*marie));
  REQUIRE(dir->elus().size() == 2);
  CHECK(dir->elu_by_address("h.riviere@champignac.example")->departments == std::vector<std::string>{"urbanisme"});
  CHECK(dir->members("urbanisme").size() == 2);
  REQUIRE(dir->department("urbanisme")->response_target);
  CHECK(dir->department("urbanisme")->response_target->text() == "10 jours ouvrés");
}

TEST_CASE("absences: the backup, then the head, takes new requests", "[directory]") {
  auto dir = Directory::parse(R"(departments:
  - {id: urbanisme, name: Urbanisme, email: u@c.fr, address: Mairie, phone: "01", head: chef}
agents:
  - {id: a, first_name: A, last_name: A, title: T, email: a@c.fr, departments: [urbanisme], absent_until: 2026-12-04, backup: b}
  - {id: b, first_name: B, last_name: B, title: T, email: b@c.fr, departments: [urbanisme], absent_until: 2026-12-01, backup: a}
  - {id: chef, first_name: C, last_name: C, title: T, email: c@c.fr, departments: [urbanisme]}
)",
                              "dir.yaml");
  REQUIRE(dir);
  CHECK(dir->assignee("a", "urbanisme", {2026, 12, 5})->id == "a");     // back
  CHECK(dir->assignee("a", "urbanisme", {2026, 12, 4})->id == "b");     // absent up to and including the 4th
  CHECK(dir->assignee("a", "urbanisme", {2026, 11, 30})->id == "chef");  // both away: the head (no loop)
  CHECK(dir->assignee("nobody", "urbanisme", {2026, 11, 30})->id == "chef");
  CHECK(dir->assignee("a", "unknown", {2026, 11, 30}) == nullptr);
}

TEST_CASE("every directory error is reported with its place", "[directory]") {
  auto dir = Directory::parse(R"(departments:
  - id: voirie
    name: Voirie
    email: not-an-address
    address: CTM
    phone: "01"
    head: ghost
    response_target: 2 weeks
  - id: voirie
    name: Encore
    email: v@c.fr
    address: x
    phone: "02"
agents:
  - id: p
    first_name: Paul
    last_name: Martin
    title: Chef
    email: p@c.fr
    departments: [voirie, urbanisme]
    absent_until: demain
    backup: p
    departement: x
  - id: q
    first_name: Q
    last_name: Q
    title: T
    email: q@c.fr
)",
                              "directory.yaml");
  REQUIRE_FALSE(dir);
  CHECK(dir.error().code == Errc::config);
  const std::string& e = dir.error().message;
  INFO(e);
  CHECK(e.find("directory.yaml:4:12: \"not-an-address\" is not an email address") != std::string::npos);
  CHECK(e.find("directory.yaml:8:22: unknown delay unit \"weeks\"") != std::string::npos);
  CHECK(e.find("directory.yaml:9:9: department \"voirie\" is defined twice") != std::string::npos);
  CHECK(e.find("directory.yaml:7:11: unknown agent \"ghost\"") != std::string::npos);
  CHECK(e.find("directory.yaml:21:19: absent_until must be a date, YYYY-MM-DD") != std::string::npos);
  CHECK(e.find("directory.yaml:23:5: unknown key \"departement\"") != std::string::npos);
  CHECK(e.find("directory.yaml:20:18: unknown department \"urbanisme\"") != std::string::npos);
  CHECK(e.find("directory.yaml:22:13: an agent cannot be their own backup") != std::string::npos);
  CHECK(e.find("agent \"q\" belongs to no department") != std::string::npos);
  // A department without its phone is refused: the acknowledgement could not carry it.
  auto nophone = Directory::parse("departments:\n  - {id: x, name: X, email: x@c.fr, address: A}\n", "d.yaml");
  REQUIRE_FALSE(nophone);
  CHECK(nophone.error().message.find("missing required key \"phone\"") != std::string::npos);
}

TEST_CASE("directory errors for what agents' mail relies on: ids, aliases, élus", "[directory]") {
  auto dir = Directory::parse(
      "departments:\n  - {id: Voirie.Nord, name: V, email: v@x.fr, address: a, phone: p}\n"
      "agents:\n  - {id: a1, first_name: A, last_name: B, title: T, email: a@x.fr, departments: [Voirie.Nord],"
      " aliases: [a@x.fr, 'not an address']}\n"
      "  - {id: a2, first_name: C, last_name: D, title: T, email: a@x.fr, departments: [Voirie.Nord]}\n"
      "elus:\n  - {name: Élue, departments: [nulle-part]}\n",
      "d.yaml");
  REQUIRE_FALSE(dir);
  const std::string e = dir.error().message;
  CHECK(e.find("d.yaml:2:10: id \"Voirie.Nord\" may hold") != std::string::npos);
  CHECK(e.find("\"not an address\" is not an email address") != std::string::npos);
  CHECK(e.find("already belongs to agent \"a1\"") != std::string::npos);
  CHECK(e.find("missing required key \"email\"") != std::string::npos);
  CHECK(e.find("unknown department \"nulle-part\"") != std::string::npos);
}
