// Drives the guichet binary as an admin, a script or an MTA would: exit codes and JSON.
#include <catch2/catch.hpp>

#include <map>
#include <nlohmann/json.hpp>

#include "helpers.h"

using guichet::test::corpus;
using guichet::test::data_path;
using guichet::test::run_guichet;
using guichet::test::TempDir;
using nlohmann::json;

namespace {
std::string q(const std::string& s) { return "'" + s + "'"; }
// An empty configuration (all defaults) keeps tests independent of /etc/guichet on the machine.
std::string db_args(const TempDir& dir) {
  guichet::test::write_file(dir.path() / "empty.yaml", "");
  return "--config " + q(dir.str("empty.yaml")) + " --db " + q(dir.str("g.db"));
}
std::string write_config(const TempDir& dir) {
  guichet::test::write_file(dir.path() / "guichet.yaml",
                            "commune: Test\ndatabase: g.db\nmailboxes:\n  - name: voirie\n    url: maildir://in\n"
                            "    department: voirie\n");
  return "--config " + q(dir.str("guichet.yaml"));
}
}  // namespace

TEST_CASE("parse --json prints the stable fields", "[cli]") {
  auto r = run_guichet("parse --json " + q(data_path("mail/gmail-utf8-attachment.eml")));
  REQUIRE(r.status == 0);
  json j = json::parse(r.out);
  for (const char* key : {"message_id", "in_reply_to", "references", "date", "from", "sender", "reply_to", "to", "cc",
                          "subject", "text", "html", "attachments", "auto", "bounce", "list", "problems"})
    CHECK(j.contains(key));
  CHECK(j["message_id"] == "CAHx9=abc123+XyZ@mail.gmail.com");
  CHECK(j["date"] == "2026-11-04T08:12:33Z");
  CHECK(j["from"][0]["name"] == "Amélie Martin");
  CHECK(j["attachments"][0]["filename"] == "demande_acte_né.pdf");
  CHECK(j["attachments"][0]["size"] == 5136);
  CHECK(j["auto"] == false);
}

TEST_CASE("parse reads standard input and never fails on garbage", "[cli]") {
  auto r = run_guichet("parse --json -", std::string("\x00\x01\xFF not mail", 12));
  REQUIRE(r.status == 0);
  json j = json::parse(r.out);
  CHECK(j["message_id"].is_null());
  CHECK_FALSE(j["problems"].empty());
}

TEST_CASE("usage errors and unreadable paths", "[cli]") {
  CHECK(run_guichet("parse").status == 64);
  CHECK(run_guichet("frobnicate").status == 64);
  CHECK(run_guichet("list --limit -3").status == 64);
  auto missing = run_guichet("parse /nonexistent.eml");
  CHECK(missing.status == 66);
  CHECK(missing.err == "guichet: /nonexistent.eml: cannot read\n");
  TempDir dir;
  auto ingest = run_guichet("ingest " + db_args(dir) + " /nonexistent/box");
  CHECK(ingest.status == 66);
  CHECK(ingest.err.find("/nonexistent/box: no such file or directory") != std::string::npos);
}

TEST_CASE("ingest a Maildir, then list and show", "[cli]") {
  TempDir dir;
  std::string maildir = std::string(GUICHET_SOURCE_DIR) + "/etc/demo/inbox";
  auto r = run_guichet("ingest --json " + db_args(dir) + " " + q(maildir));
  REQUIRE(r.status == 0);
  std::vector<json> outcomes;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) outcomes.push_back(json::parse(line));
  // The demo inbox: 6 new requests and an out-of-office kept apart, a reply, a relance and a
  // subject reference attached, and the same mail delivered twice.
  REQUIRE(outcomes.size() == 11);
  std::map<std::string, int> count;
  std::string machine;
  for (const auto& o : outcomes) {
    ++count[o["outcome"].get<std::string>()];
    CHECK(o["reference"].is_string());
    if (o["action"] == "machine") machine = o["reference"];
  }
  CHECK(count["new_request"] == 7);
  CHECK(machine == "M2026-000001");
  CHECK(count["attached"] == 3);
  CHECK(count["duplicate"] == 1);

  auto list = run_guichet("list --json " + db_args(dir));
  REQUIRE(list.status == 0);
  json all = json::parse(list.out);
  REQUIRE(all.is_array());
  REQUIRE_FALSE(all.empty());
  for (const auto& req : all) {
    for (const char* key : {"reference", "status", "subject", "requester", "department", "agent", "received_at", "messages"})
      CHECK(req.contains(key));
    CHECK(req["status"] == "new");
    CHECK(req["requester"].contains("address"));
  }
  std::string ref = all[0]["reference"];
  CHECK(ref.size() == 11);
  CHECK(ref[4] == '-');

  auto show = run_guichet("show --json " + db_args(dir) + " " + ref);
  REQUIRE(show.status == 0);
  json req = json::parse(show.out);
  CHECK(req["reference"] == ref);
  REQUIRE_FALSE(req["messages"].empty());
  CHECK(req["messages"][0]["matched_by"] == "new");
  CHECK(req["events"][0]["kind"] == "created");

  // Text output mentions the reference.
  auto text = run_guichet("list " + db_args(dir));
  CHECK(text.out.find(ref) != std::string::npos);
}

TEST_CASE("show --raw gives back the exact bytes", "[cli]") {
  TempDir dir;
  std::string raw = corpus("outlook-windows1252.eml");
  auto in = run_guichet("ingest --json " + db_args(dir), raw);
  REQUIRE(in.status == 0);
  std::string ref = json::parse(in.out)["reference"];
  auto r = run_guichet("show --raw 1 " + db_args(dir) + " " + ref);
  REQUIRE(r.status == 0);
  CHECK(r.out == raw);
  CHECK(run_guichet("show --raw 2 " + db_args(dir) + " " + ref).status == 64);
  CHECK(run_guichet("show " + db_args(dir) + " 2026-999999").status == 65);
}

TEST_CASE("pipe mode: stored is 0, a duplicate is 0, the mailbox gives the department", "[cli][pipe]") {
  TempDir dir;
  std::string cfg = write_config(dir);
  std::string raw = corpus("laposte-html-only.eml");
  auto first = run_guichet("ingest --mailbox voirie " + cfg, raw);
  CHECK(first.status == 0);
  auto again = run_guichet("ingest --mailbox voirie " + cfg, raw);
  CHECK(again.status == 0);
  CHECK(again.out.find("duplicate") != std::string::npos);
  auto list = run_guichet("list --json " + cfg);
  json all = json::parse(list.out);
  REQUIRE(all.size() == 1);
  CHECK(all[0]["department"] == "voirie");
}

TEST_CASE("pipe mode: a database that cannot be written is EX_TEMPFAIL", "[cli][pipe]") {
  TempDir dir;
  std::string raw = corpus("no-message-id.eml");
  guichet::test::write_file(dir.path() / "empty.yaml", "");
  auto nodir = run_guichet("ingest --config " + q(dir.str("empty.yaml")) + " --db /nonexistent/dir/g.db", raw);
  CHECK(nodir.status == 75);
  CHECK(nodir.err.find("cannot open database") != std::string::npos);
  auto failed = run_guichet("ingest " + db_args(dir), raw, "GUICHET_FAILPOINTS=ingest.commit");
  CHECK(failed.status == 75);
  CHECK(failed.err.find("not stored") != std::string::npos);
  // Nothing was committed: the MTA's retry stores it once.
  CHECK(run_guichet("ingest " + db_args(dir), raw).status == 0);
  json all = json::parse(run_guichet("list --json " + db_args(dir)).out);
  CHECK(all.size() == 1);
}

TEST_CASE("ingest with --dry-run decides and writes nothing", "[cli]") {
  TempDir dir;
  auto r = run_guichet("ingest --dry-run --json " + db_args(dir), corpus("gmail-utf8-attachment.eml"));
  REQUIRE(r.status == 0);
  json o = json::parse(r.out);
  CHECK(o["outcome"] == "new_request");
  CHECK(o["dry_run"] == true);
  json all = json::parse(run_guichet("list --json " + db_args(dir)).out);
  CHECK(all.empty());
}

TEST_CASE("a broken configuration is EX_CONFIG with its place", "[cli][config]") {
  TempDir dir;
  guichet::test::write_file(dir.path() / "bad.yaml", "commune: X\nmailbox:\n  - name: a\n");
  auto r = run_guichet("list --config " + q(dir.str("bad.yaml")));
  CHECK(r.status == 78);
  CHECK(r.err.find("bad.yaml:2:1: unknown key \"mailbox\"") != std::string::npos);
  auto missing = run_guichet("list --config " + q(dir.str("typo.yaml")));
  CHECK(missing.status == 78);
  CHECK(missing.err.find("typo.yaml: no such configuration file") != std::string::npos);
}

TEST_CASE("merge and split from the command line are audited", "[cli][threading]") {
  TempDir dir;
  auto a = run_guichet("ingest --json " + db_args(dir), "From: a@x.fr\nSubject: Un\nMessage-ID: <c1@x.fr>\n\nx\n");
  auto b = run_guichet("ingest --json " + db_args(dir), "From: b@x.fr\nSubject: Deux\nMessage-ID: <c2@x.fr>\n\ny\n");
  std::string ra = json::parse(a.out)["reference"], rb = json::parse(b.out)["reference"];
  auto merged = run_guichet("merge --actor marie.agent " + db_args(dir) + " " + ra + " " + rb);
  REQUIRE(merged.status == 0);
  CHECK(merged.out == rb + " merged into " + ra + "\n");
  json shown = json::parse(run_guichet("show --json " + db_args(dir) + " " + ra).out);
  CHECK(shown["messages"].size() == 2);
  CHECK(shown["events"].back()["kind"] == "merged");
  CHECK(shown["events"].back()["actor"] == "marie.agent");
  CHECK(json::parse(run_guichet("show --json " + db_args(dir) + " " + rb).out)["merged_into"] == ra);
  CHECK(run_guichet("merge " + db_args(dir) + " " + ra + " " + rb).status == 65);  // already merged

  auto split = run_guichet("split --actor marie.agent " + db_args(dir) + " " + ra + " '<c2@x.fr>'");
  REQUIRE(split.status == 0);
  json list = json::parse(run_guichet("list --json " + db_args(dir)).out);
  REQUIRE(list.size() == 2);
  CHECK(list[1]["linked_to"] == ra);
  CHECK(list[1]["messages"][0] == "c2@x.fr");
  CHECK(run_guichet("split " + db_args(dir) + " " + ra + " c1@x.fr").status == 65);  // its only message
  CHECK(run_guichet("split " + db_args(dir) + " " + ra + " nope@x.fr").status == 65);
}

TEST_CASE("ingest --json says how each message was matched", "[cli][threading]") {
  TempDir dir;
  run_guichet("ingest " + db_args(dir), "From: a@x.fr\nSubject: Un\nMessage-ID: <j1@x.fr>\n\nx\n");
  auto r = run_guichet("ingest --json " + db_args(dir),
                       "From: a@x.fr\nSubject: Re: Un\nMessage-ID: <j2@x.fr>\nIn-Reply-To: <j1@x.fr>\n\ny\n");
  json o = json::parse(r.out);
  CHECK(o["outcome"] == "attached");
  CHECK(o["matched_by"] == "references:j1@x.fr");
  CHECK(o["relance"] == false);
  CHECK(o["linked_to"].is_null());
}

TEST_CASE("the demo configuration routes each request to its service and agent", "[cli][routing]") {
  TempDir dir;
  std::string args = "--config " + q(std::string(GUICHET_SOURCE_DIR) + "/etc/demo/guichet.yaml") + " --db " + q(dir.str("g.db"));
  auto r = run_guichet("ingest --json --mailbox mairie " + args + " " + q(std::string(GUICHET_SOURCE_DIR) + "/etc/demo/inbox"));
  REQUIRE(r.status == 0);
  json all = json::parse(run_guichet("list --json " + args).out);
  std::map<std::string, std::pair<std::string, std::string>> by_subject;
  for (const auto& req : all)
    by_subject[req["subject"]] = {req["department"].get<std::string>(), req["agent"].is_null() ? "" : req["agent"].get<std::string>()};
  CHECK(by_subject["Déclaration préalable pour une véranda"].first == "urbanisme");
  CHECK(by_subject["Nid-de-poule dangereux rue des Écoles"] == std::make_pair(std::string("voirie"), std::string("pmartin")));
  CHECK(by_subject["Bruit du bar après minuit"] == std::make_pair(std::string("police-municipale"), std::string("chef-pm")));
  CHECK(by_subject["Demande d'acte de naissance"].first == "etat-civil");
  json voirie = json::parse(run_guichet("show --json " + args + " 2026-000002").out);
  CHECK(voirie["silence"] == "rejection");
  CHECK(voirie["delay"] == "2 mois");
  CHECK(voirie["deemed_decision_on"] == "2027-01-11");  // 9 November 2026 + 2 months, a Monday
  CHECK(voirie["events"][0]["detail"]["rules"][0] == "Voirie, éclairage et signalisation");
}

TEST_CASE("list --machine shows the out-of-office kept apart, promote makes it a request", "[cli][machine]") {
  TempDir dir;
  std::string args = "--config " + q(std::string(GUICHET_SOURCE_DIR) + "/etc/demo/guichet.yaml") + " --db " + q(dir.str("g.db"));
  REQUIRE(run_guichet("ingest --mailbox mairie " + args + " " + q(std::string(GUICHET_SOURCE_DIR) + "/etc/demo/inbox")).status == 0);
  json machine = json::parse(run_guichet("list --json --machine " + args).out);
  REQUIRE(machine.size() == 1);
  CHECK(machine[0]["kind"] == "machine");
  const size_t requests = json::parse(run_guichet("list --json " + args).out).size();
  auto p = run_guichet("promote " + args + " --actor accueil M2026-000001");
  INFO(p.err);
  REQUIRE(p.status == 0);
  CHECK(p.out.find("M2026-000001 is now request 2026-000007") != std::string::npos);
  CHECK(json::parse(run_guichet("list --json --machine " + args).out).empty());
  CHECK(json::parse(run_guichet("list --json " + args).out).size() == requests + 1);
  json shown = json::parse(run_guichet("show --json " + args + " 2026-000007").out);
  bool promoted = false;
  for (const auto& e : shown["events"]) promoted |= e["kind"] == "promoted" && e["actor"] == "accueil";
  CHECK(promoted);
  // Twice, or a request that was never machine mail: refused, nothing changes.
  CHECK(run_guichet("promote " + args + " 2026-000007").status == 65);
  CHECK(run_guichet("promote " + args + " M2026-000099").status == 65);
}

namespace {
std::string example_config() { return q(std::string(GUICHET_SOURCE_DIR) + "/etc/guichet.yaml"); }
std::string demo_mail(const std::string& name) {
  return q(std::string(GUICHET_SOURCE_DIR) + "/etc/demo/inbox/new/" + name);
}
}  // namespace

TEST_CASE("rules check accepts the example configuration", "[cli][routing]") {
  auto r = run_guichet("rules check --config " + example_config());
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find(": ok") != std::string::npos);
  CHECK(r.out.find("9 rules") != std::string::npos);
  CHECK(r.out.find("10 departments") != std::string::npos);
}

TEST_CASE("rules check refuses broken rules and templates with file:line:column, exit 78", "[cli][routing]") {
  TempDir dir;
  guichet::test::write_file(dir.path() / "guichet.yaml",
                            "directory: " + std::string(GUICHET_SOURCE_DIR) + "/etc/directory.yaml\n"
                            "rules: rules\ntemplates: templates\n");
  guichet::test::write_file(dir.path() / "rules/10-voirie.yaml",
                            "- name: Voirie\n  when: { subject: trottoir }\n  then:\n    department: voirie\n"
                            "    template: accuse-voirie\n    department: proprete\n");
  guichet::test::write_file(dir.path() / "templates/accuse-reception.mustache", "Reçu {{recu}}\n");
  auto r = run_guichet("rules check --config " + q(dir.str("guichet.yaml")));
  CHECK(r.status == 78);
  CHECK(r.out.empty());
  CHECK(r.err.find(dir.str("rules/10-voirie.yaml") + ":6:5: duplicate key \"department\"") != std::string::npos);
  CHECK(r.err.find(dir.str("rules/10-voirie.yaml") + ":5:15: unknown template \"accuse-voirie\"") != std::string::npos);
  CHECK(r.err.find(dir.str("templates/accuse-reception.mustache") + ":1:6: unknown variable \"recu\"") !=
        std::string::npos);
}

TEST_CASE("rules test shows the rule, the trace and the acknowledgement, and writes nothing", "[cli][routing]") {
  TempDir dir;
  guichet::test::write_file(dir.path() / "guichet.yaml",
                            "commune: Champignac-en-Cambrousse\ndatabase: g.db\ndirectory: " +
                                std::string(GUICHET_SOURCE_DIR) + "/etc/directory.yaml\nrules: " +
                                std::string(GUICHET_SOURCE_DIR) + "/rules\n");
  auto r = run_guichet("rules test --json --config " + q(dir.str("guichet.yaml")) + " " +
                       demo_mail("1794210000.M2P100.champignac"));
  INFO(r.err);
  REQUIRE(r.status == 0);
  json j = json::parse(r.out);
  CHECK(j["rule"] == "Voirie, éclairage et signalisation");
  CHECK(j["department"] == "voirie");
  CHECK(j["agent"] == "pmartin");
  CHECK(j["kind"]["silence"] == "rejection");
  CHECK(j["kind"]["deemed_decision_on"] == "2027-01-11");
  CHECK(j["template"] == "accuse-reception");
  CHECK(j["reference"] == "2026-000001");
  REQUIRE(j["trace"].size() > 2);
  CHECK(j["trace"][0].get<std::string>().find("no match") != std::string::npos);
  const std::string ack = j["acknowledgement"];
  CHECK(ack.find("le 9 novembre 2026 à 11 h 00") != std::string::npos);
  CHECK(ack.find("réputée rejetée le 11 janvier 2027") != std::string::npos);
  CHECK(ack.find("Paul Martin") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "g.db"));

  CHECK(j["acknowledge"] == true);
  CHECK(j["suppressed_because"].is_null());
  // An out-of-office is routed but never acknowledged, and the command says why.
  auto oof = run_guichet("rules test --json --config " + q(dir.str("guichet.yaml")) + " " +
                         demo_mail("1794240000.M5P100.champignac"));
  REQUIRE(oof.status == 0);
  json o = json::parse(oof.out);
  CHECK(o["acknowledge"] == false);
  CHECK(o["suppressed_because"].get<std::string>().find("automatic message") != std::string::npos);

  // The example configuration works from a checkout, in text too.
  auto text = run_guichet("rules test --config " + example_config() + " " + demo_mail("1794210000.M2P100.champignac"));
  REQUIRE(text.status == 0);
  CHECK(text.out.find("Department:      voirie") != std::string::npos);
  CHECK(text.out.find("Madame, Monsieur,") != std::string::npos);
}
