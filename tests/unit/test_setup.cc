// Setup loading and reloading (lib/engine/setup): every file checked together, and a broken
// change refused while the last good setup stays in force (design invariant 6).
#include <catch2/catch.hpp>

#include <thread>

#include "engine/setup.h"
#include "helpers.h"

using namespace guichet;

namespace {

const char* kDirectory = R"(departments:
  - {id: accueil, name: Accueil, email: mairie@c.example, address: 1 place de la Mairie, phone: "01 00", head: anne}
  - {id: voirie, name: Voirie, email: voirie@c.example, address: CTM, phone: "01 20", head: paul}
agents:
  - {id: anne, first_name: Anne, last_name: Roux, title: Agente d'accueil, email: anne@c.example, departments: [accueil]}
  - {id: paul, first_name: Paul, last_name: Martin, title: Chef, email: paul@c.example, departments: [voirie]}
)";

const char* kVoirie = R"(- name: Voirie
  when: { subject: { contains: [nid-de-poule, trottoir] } }
  then: { department: voirie, kind: { silence: rejection, delay: 2 months } }
)";

struct Town {
  test::TempDir dir;
  Town() {
    test::write_file(
        dir.path() / "guichet.yaml",
        "commune: Champignac\ndatabase: guichet.db\ndirectory: directory.yaml\nrules: rules\n"
        "templates: templates\nmailboxes:\n  - {name: mairie, url: 'maildir://inbox', department: accueil}\n");
    test::write_file(dir.path() / "directory.yaml", kDirectory);
    test::write_file(dir.path() / "rules/20-voirie.yaml", kVoirie);
    test::write_file(dir.path() / "templates/merci.mustache", "Merci {{resident.name}}.\n");
  }
  std::string config() const { return dir.str("guichet.yaml"); }
  // Writes `text` to `rel` so that its modification time surely differs from the last one.
  void rewrite(const std::string& rel, const std::string& text) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    test::write_file(dir.path() / rel, text);
  }
};

}  // namespace

TEST_CASE("load_setup reads the configuration, directory, rules and templates together", "[setup]") {
  Town town;
  auto s = engine::load_setup(town.config());
  INFO((s ? std::string() : s.error().message));
  REQUIRE(s);
  CHECK((*s)->rules->rules().size() == 1);
  CHECK((*s)->directory->departments().size() == 2);
  CHECK((*s)->templates.has("merci"));
  CHECK((*s)->templates.has("accuse-reception"));  // built-in
  auto options = engine::ingest_options(**s, "mairie");
  CHECK(options.department == std::optional<std::string>("accueil"));
  CHECK(options.commune == "Champignac");
  CHECK(options.rules == &*(*s)->rules);
}

TEST_CASE("load_setup reports the problems of every file at once, with their places", "[setup]") {
  Town town;
  town.rewrite("directory.yaml", std::string(kDirectory) + "  - {id: zoe, first_name: Zoé}\n");
  town.rewrite("templates/merci.mustache", "Merci {{resident.nom}}.\n");
  auto s = engine::load_setup(town.config());
  REQUIRE_FALSE(s);
  CHECK(s.error().code == Errc::config);
  const std::string& m = s.error().message;
  CHECK(m.find(town.dir.str("directory.yaml") + ":7:") != std::string::npos);
  CHECK(m.find(town.dir.str("templates/merci.mustache") + ":1:7: unknown variable \"resident.nom\"") !=
        std::string::npos);
}

TEST_CASE("a mailbox naming an unknown department is refused", "[setup]") {
  Town town;
  town.rewrite(
      "guichet.yaml",
      "directory: directory.yaml\nmailboxes:\n  - {name: mairie, url: 'maildir://inbox', department: urbanism}\n");
  auto s = engine::load_setup(town.config());
  REQUIRE_FALSE(s);
  CHECK(s.error().message.find("mailbox \"mairie\": unknown department \"urbanism\"") != std::string::npos);
}

TEST_CASE("a broken rules file is refused on reload and the last good rules stay in force", "[setup][reload]") {
  Town town;
  auto first = engine::load_setup(town.config());
  REQUIRE(first);
  engine::SetupWatcher watcher(town.config(), *first);
  CHECK_FALSE(watcher.reload_if_changed());  // nothing changed

  // An admin saves a rule with a typo in a department and a bad regex.
  town.rewrite("rules/30-proprete.yaml", R"y(- name: Propreté
  when: { body: { regex: "(tags" } }
  then: { department: proprete }
)y");
  auto attempt = watcher.reload_if_changed();
  REQUIRE(attempt);
  REQUIRE_FALSE(*attempt);
  const std::string& m = attempt->error().message;
  CHECK(m.find(town.dir.str("rules/30-proprete.yaml") + ":2:") != std::string::npos);
  CHECK(m.find("unknown department \"proprete\"") != std::string::npos);
  CHECK(watcher.current() == *first);  // the old rules route mail meanwhile
  CHECK(watcher.current()->rules->rules().size() == 1);
  CHECK_FALSE(watcher.reload_if_changed());  // reported once per change, not every poll

  // The admin fixes it: the new rules take over.
  town.rewrite("rules/30-proprete.yaml", R"y(- name: Propreté
  when: { body: { regex: "(tags|déchets)" } }
  then: { department: voirie }
)y");
  attempt = watcher.reload_if_changed();
  REQUIRE(attempt);
  CHECK(*attempt);
  CHECK(watcher.current()->rules->rules().size() == 2);

  // SIGHUP with a broken guichet.yaml: refused, the setup in force is kept.
  auto good = watcher.current();
  town.rewrite("guichet.yaml", "commune: [oops\n");
  auto hup = watcher.reload();
  REQUIRE_FALSE(hup);
  CHECK(hup.error().message.find(town.config() + ":") != std::string::npos);
  CHECK(watcher.current() == good);
}

TEST_CASE("a template change is picked up, a removed rules file too", "[setup][reload]") {
  Town town;
  auto first = engine::load_setup(town.config());
  REQUIRE(first);
  engine::SetupWatcher watcher(town.config(), *first);
  town.rewrite("templates/merci.mustache", "Merci beaucoup {{resident.name}}.\n");
  auto attempt = watcher.reload_if_changed();
  REQUIRE(attempt);
  CHECK(*attempt);
  CHECK(watcher.current() != *first);
  std::filesystem::remove(town.dir.path() / "rules/20-voirie.yaml");
  attempt = watcher.reload_if_changed();
  REQUIRE(attempt);
  CHECK(*attempt);
  CHECK(watcher.current()->rules->rules().empty());
}
