// Retention and erasure: what is past `retention:` becomes an anonymous tombstone — the figures
// are the same before and after, no personal data is left in the database file, a purge killed
// half-way leaves no request half-deleted and the next run finishes, an erasure is audited.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/retention.h"
#include "town.h"
#include "util/local_time.h"

using namespace guichet;
using test::Town;

namespace {

const char* kRetention = "retention:\n  closed: 5 ans\n  machine: 1 an\n";

// Léa's request with a scanned plan attached: her address, name, text and the PDF's bytes are
// what must be gone.
std::string lea_with_plan() {
  return "From: Léa Martin <lea.martin@example.org>\r\nTo: urbanisme@champignac.example\r\nSubject: Lampadaire "
         "éteint\r\nDate: Thu, 03 Dec 2026 09:00:00 +0100\r\nMessage-ID: <lea-plan@example.org>\r\nMIME-Version: "
         "1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; "
         "charset=utf-8\r\n\r\nLe lampadaire du 12 impasse des Glycines clignote.\r\n--b\r\nContent-Type: "
         "application/pdf; name=plan-glycines.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
         "JVBERi0xLjQKJSBwbGFuIGR1IHF1YXJ0aWVyIGRlcyBHbHljaW5lcwo=\r\n--b--\r\n";
}

void close_request(Town& t, const std::string& reference) {
  auto r = t.request(reference);
  auto tx = t.st->transaction();
  REQUIRE(tx);
  REQUIRE(t.st->set_status(r.id, store::RequestStatus::closed, t.clock.now()));
  REQUIRE(t.st->add_event(r.id, std::nullopt, t.clock.now(), "guichet", "status_changed",
                          R"({"from":"new","to":"closed"})"));
  REQUIRE(tx->commit());
}

std::string iso_now(std::int64_t when) {
  const auto lt = local_time(when);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", lt.year, lt.month, lt.day, lt.hour, lt.minute,
                lt.second);
  return buf;
}

std::string now_arg(std::int64_t when) { return " --now " + iso_now(when) + " "; }

std::string stats(const Town& t, std::int64_t when) {
  auto r = test::run_guichet("stats --json --since 2026-11-01 --until 2027-01-01 --by department --now " +
                             iso_now(when) + " " + t.args());
  INFO(r.err);
  REQUIRE(r.status == 0);
  return r.out;
}

// A JSON string with nothing in it.
bool blank(const nlohmann::json& v) { return v.is_string() && v.get<std::string>().empty(); }

bool file_holds(const std::string& path, const std::string& needle) {
  return test::read_file(path).find(needle) != std::string::npos;
}

struct Corpus {
  std::string lea, gaston, lucien, recent, open;
};

// Three requests closed on 3 December 2026 (two share their subject: a recurring subject of the
// figures), one closed in 2031, one still open, and an out-of-office kept apart.
Corpus make_corpus(Town& t) {
  Corpus c;
  c.lea = t.ingest(lea_with_plan(), "urbanisme").reference;
  c.gaston = t.ingest(test::resident_mail("gaston-1@example.org", "Bruit de mobylette",
                                          "Gaston Lagaffe <gaston.lagaffe@example.org>"),
                      "voirie")
                 .reference;
  c.lucien = t.ingest(test::resident_mail("lucien-1@example.org", "Lampadaire éteint",
                                          "Lucien Bonvoisin <lucien.bonvoisin@example.org>"),
                      "voirie")
                 .reference;
  c.open =
      t.ingest(test::resident_mail("zorglub-1@example.org", "Trottoir défoncé", "Zorglub Savant <zorglub@example.org>"),
               "voirie")
          .reference;
  auto away = t.ingest(
      test::resident_mail("ooo-1@example.org", "Absent du bureau", "Jeanne Absente <jeanne.absente@example.org>",
                          "voirie@champignac.example", "Auto-Submitted: auto-replied\r\n"),
      "voirie");
  REQUIRE(t.request(away.reference).kind == "machine");
  for (const auto& ref : {c.lea, c.gaston, c.lucien}) close_request(t, ref);
  t.clock.set(t.clock.now() + 4 * 365 * 86400);  // 2030
  c.recent = t.ingest(test::resident_mail("seccotine-1@example.org", "Stationnement",
                                          "Sophie Seccotine <seccotine@example.org>"),
                      "voirie")
                 .reference;
  close_request(t, c.recent);
  return c;
}

}  // namespace

TEST_CASE("purge: past retention a request is an anonymous tombstone, the figures stay, no personal data is left",
          "[retention]") {
  Town t(kRetention);
  const Corpus c = make_corpus(t);
  t.st.reset();
  const std::int64_t later = 1796290200 + (5 * 365 + 3) * 86400;  // 5 December 2031
  const std::string before = stats(t, later);
  CHECK(before.find("lampadaire eteint") != std::string::npos);  // the recurring subject

  auto dry = test::run_guichet("purge --dry-run" + now_arg(later) + t.args());
  INFO(dry.err);
  REQUIRE(dry.status == 0);
  CHECK(dry.out.find("would purge " + c.lea) != std::string::npos);
  CHECK(dry.out.find("would purge " + c.gaston) != std::string::npos);
  CHECK(dry.out.find(c.recent) == std::string::npos);
  CHECK(dry.out.find(c.open) == std::string::npos);
  CHECK(dry.out.find("(machine: 1 an)") != std::string::npos);
  CHECK(dry.out.find("4 request(s) past retention; nothing was changed") != std::string::npos);
  CHECK(test::run_guichet("search lagaffe " + t.args()).out.find(c.gaston) != std::string::npos);

  auto run = test::run_guichet("purge --json --actor dpo" + now_arg(later) + t.args());
  INFO(run.err);
  REQUIRE(run.status == 0);
  auto j = nlohmann::json::parse(run.out);
  CHECK(j["requests"].size() == 4);
  CHECK(j["removed"]["attachments"] == 1);
  CHECK(j["removed"]["blobs"] == 1);
  CHECK(j["finished"] == true);

  // The figures are those of before, to the byte.
  CHECK(stats(t, later) == before);
  // The tombstone: reference, dates, department, status, history; no name, address, subject or text.
  auto shown = nlohmann::json::parse(test::run_guichet("show --json " + c.lea + " " + t.args()).out);
  CHECK(shown["status"] == "closed");
  CHECK(shown["department"] == "urbanisme");
  CHECK(shown["purged_at"].is_string());
  CHECK(blank(shown["subject"]));
  CHECK(blank(shown["requester"]["address"]));
  CHECK(blank(shown["messages"][0]["text"]));
  CHECK(shown["messages"][0]["attachments"].empty());
  bool audited = false;
  for (const auto& e : shown["events"]) {
    if (e["kind"] == "purged") audited = e["actor"] == "admin:dpo" && e["detail"]["rule"] == "closed: 5 ans";
    if (e["kind"] == "status_changed") CHECK(e["detail"]["to"] == "closed");
    if (e["kind"] == "created") CHECK(e["detail"].empty());
  }
  CHECK(audited);
  // What was not due is whole.
  auto recent = nlohmann::json::parse(test::run_guichet("show --json " + c.recent + " " + t.args()).out);
  CHECK(recent["requester"]["address"] == "seccotine@example.org");
  CHECK(recent["purged_at"].is_null());
  CHECK(test::run_guichet("show " + c.open + " " + t.args()).out.find("zorglub@example.org") != std::string::npos);
  // Nobody finds them any more, by name, word or attachment.
  for (const char* q : {"lagaffe", "martin", "glycines", "mobylette"})
    CHECK(test::run_guichet(std::string("search ") + q + " " + t.args()).out.find(c.gaston) == std::string::npos);
  CHECK(test::run_guichet("rgpd export lea.martin@example.org --out " + t.dir.str("x") + " " + t.args()).status == 65);
  // Not in the database file either (the write-ahead log was emptied into it).
  const std::string db = t.dir.str("g.db");
  CHECK_FALSE((std::filesystem::exists(db + "-wal") && std::filesystem::file_size(db + "-wal") > 0));
  for (const char* gone : {"lea.martin@example.org", "Lagaffe", "impasse des Glycines", "plan du quartier",
                           "plan-glycines.pdf", "jeanne.absente", "mobylette"}) {
    INFO(gone);
    CHECK_FALSE(file_holds(db, gone));
  }
  CHECK(file_holds(db, "seccotine@example.org"));
  // The copy still checks, and a second run has nothing to do.
  CHECK(test::run_guichet("verify " + t.args()).status == 0);
  auto again = test::run_guichet("purge" + now_arg(later) + t.args());
  CHECK(again.out.find("0 request(s) purged") != std::string::npos);
}

TEST_CASE("purge: killed between two requests or inside one, nothing is half-deleted and the next run finishes",
          "[retention]") {
  Town t(kRetention);
  const Corpus c = make_corpus(t);
  t.st.reset();
  const std::int64_t later = 1796290200 + (5 * 365 + 3) * 86400;
  const std::string before = stats(t, later);
  auto purged = [&] {
    int n = 0;
    for (const auto& ref : {c.lea, c.gaston, c.lucien}) {
      auto j = nlohmann::json::parse(test::run_guichet("show --json " + ref + " " + t.args()).out);
      const bool tomb = j["purged_at"].is_string();
      // Whole or a tombstone, never between.
      CHECK(tomb == (blank(j["requester"]["address"])));
      CHECK(tomb == (blank(j["messages"][0]["text"])));
      n += tomb;
    }
    return n;
  };
  auto killed = test::run_guichet("purge" + now_arg(later) + t.args(), "", "GUICHET_FAILPOINTS=purge.after_commit");
  CHECK(killed.status != 0);
  CHECK(purged() == 1);
  CHECK(test::run_guichet("verify " + t.args()).status == 0);
  auto inside = test::run_guichet("purge" + now_arg(later) + t.args(), "", "GUICHET_FAILPOINTS=purge.before_commit");
  CHECK(inside.status != 0);
  CHECK(purged() == 1);  // the request being purged when it died is whole
  auto rest = test::run_guichet("purge" + now_arg(later) + t.args());
  INFO(rest.err);
  REQUIRE(rest.status == 0);
  CHECK(rest.out.find("3 request(s) purged") != std::string::npos);
  CHECK(purged() == 3);
  CHECK(stats(t, later) == before);
  CHECK(test::run_guichet("verify " + t.args()).status == 0);
}

TEST_CASE("rgpd erase: one request at once, with its reason in the history, an open one only when told",
          "[retention]") {
  Town t(kRetention);
  const Corpus c = make_corpus(t);
  t.st.reset();
  auto no_reason = test::run_guichet("rgpd erase " + c.recent + " --reason ' ' " + t.args());
  CHECK(no_reason.status == 64);
  auto open =
      test::run_guichet("rgpd erase " + c.open + " --reason 'Art. 17.1.b, retrait du consentement' " + t.args());
  CHECK(open.status == 65);
  CHECK(open.err.find("still new: close it first, or give --even-open") != std::string::npos);
  auto erased = test::run_guichet("rgpd erase " + c.recent +
                                  " --reason 'Art. 17.1.b, retrait du consentement' --actor dpo " + t.args());
  INFO(erased.err);
  REQUIRE(erased.status == 0);
  auto j = nlohmann::json::parse(test::run_guichet("show --json " + c.recent + " " + t.args()).out);
  CHECK(blank(j["requester"]["address"]));
  bool audited = false;
  for (const auto& e : j["events"])
    audited = audited ||
              (e["kind"] == "purged" && e["detail"]["reason"] == "erasure" &&
               e["detail"]["justification"] == "Art. 17.1.b, retrait du consentement" && e["actor"] == "admin:dpo");
  CHECK(audited);
  CHECK_FALSE(file_holds(t.dir.str("g.db"), "seccotine@example.org"));
  auto twice = test::run_guichet("rgpd erase " + c.recent + " --reason 'encore' " + t.args());
  CHECK(twice.status == 64);
  CHECK(twice.err.find("holds no personal data any more") != std::string::npos);
  CHECK(test::run_guichet("rgpd erase " + c.open + " --even-open --reason 'Décision du DPO' " + t.args()).status == 0);
  CHECK(test::run_guichet("rgpd erase 2026-999999 --reason x " + t.args()).status == 65);
}

TEST_CASE("retention: a bad period is refused at its line and column, none purges nothing", "[retention][config]") {
  test::TempDir dir;
  test::write_file(dir.path() / "a.yaml", "commune: X\nretention:\n  closed: 5 siecles\n");
  auto bad = test::run_guichet("purge --dry-run --config " + dir.str("a.yaml"));
  CHECK(bad.status == 78);
  CHECK(bad.err.find("a.yaml:3:11: unknown delay unit") != std::string::npos);
  test::write_file(dir.path() / "b.yaml", "commune: X\nretention:\n  closed: 3 jours\n  kept: 1 an\n");
  auto short_one = test::run_guichet("purge --dry-run --config " + dir.str("b.yaml"));
  CHECK(short_one.status == 78);
  CHECK(short_one.err.find("b.yaml:3:11: retention closed must be at least 30 days") != std::string::npos);
  CHECK(short_one.err.find("b.yaml:4:3") != std::string::npos);  // unknown key
  test::write_file(dir.path() / "c.yaml", "commune: X\ndatabase: g.db\n");
  auto none = test::run_guichet("purge --config " + dir.str("c.yaml"));
  CHECK(none.status == 78);
  CHECK(none.err.find("no retention: is set, nothing is ever purged") != std::string::npos);
}

TEST_CASE("serve: the daily pass purges what is past retention, once a day", "[retention][daemon]") {
  Town t(kRetention);
  for (const char* box : {"in", "in2", "in3"})
    for (const char* sub : {"new", "cur", "tmp"}) std::filesystem::create_directories(t.dir.path() / box / sub);
  const Corpus c = make_corpus(t);
  t.st.reset();
  const std::int64_t later = 1796290200 + (5 * 365 + 3) * 86400;
  auto serve = test::run_guichet("serve --once -v" + now_arg(later) + t.args());
  INFO(serve.err);
  CHECK(serve.status == 0);
  CHECK(serve.err.find("purge: 4 request(s) past retention became tombstones") != std::string::npos);
  auto j = nlohmann::json::parse(test::run_guichet("show --json " + c.gaston + " " + t.args()).out);
  CHECK(j["purged_at"].is_string());
  auto recent = nlohmann::json::parse(test::run_guichet("show --json " + c.recent + " " + t.args()).out);
  CHECK(recent["purged_at"].is_null());
  // The same day again: nothing more to do, and nothing said. The day the recent one is due, it goes.
  auto again = test::run_guichet("serve --once -v" + now_arg(later + 3600) + t.args());
  CHECK(again.err.find("purge:") == std::string::npos);
  auto due = test::run_guichet("serve --once -v" + now_arg(later + 5 * 365 * 86400) + t.args());
  CHECK(due.err.find("purge: 1 request(s) past retention") != std::string::npos);
}

TEST_CASE("purge: old digests alone are blanked and audited, and the connection stops zeroing afterwards",
          "[retention]") {
  Town t(kRetention);
  // A digest of December 2026 lists residents; nothing else is due five years later.
  store::OutboxMail digest;
  digest.kind = store::OutboxKind::digest;
  digest.message_id = "<digest-2026-12-03@champignac.example>";
  digest.envelope_from = "mairie@champignac.example";
  digest.recipient = "m.dupont@champignac.example";
  digest.message = "Subject: Demandes du jour\r\n\r\nMme Sophie Seccotine : stationnement rue Pasteur\r\n";
  digest.created_at = digest.next_attempt_at = t.clock.now();
  digest.give_up_at = t.clock.now() + 86400;
  auto id = t.st->outbox().enqueue(digest);
  REQUIRE(id);
  REQUIRE(*id);
  REQUIRE(t.st->outbox().mark_sent(**id, t.clock.now()));
  const std::int64_t later = 1796290200 + (5 * 365 + 3) * 86400;
  auto run = engine::run_purge(*t.st, engine::RetentionPolicy::of(t.setup->config, t.setup->region), later,
                               "admin:test", false, 0);
  REQUIRE(run);
  CHECK(run->items.empty());
  CHECK(run->total.outbox == 1);
  auto row = t.st->outbox().get(**id);
  REQUIRE(row);
  REQUIRE(*row);
  CHECK((*row)->recipient.empty());
  // The run is in the history although no request was purged.
  auto purge_events = [&] {
    std::vector<nlohmann::json> found;
    auto st = t.st->database().prepare("SELECT detail FROM events WHERE kind = 'purge'");
    REQUIRE(st);
    REQUIRE(st->each([&](const store::Statement& s) { found.push_back(nlohmann::json::parse(s.text(0))); }));
    return found;
  };
  auto audit = purge_events();
  REQUIRE(audit.size() == 1);
  CHECK(audit[0]["removed"]["outbox"] == 1);
  // Zeroing freed pages was for the purge; ingest on the same connection does not pay for it.
  auto mode = t.st->database().prepare("PRAGMA secure_delete");
  REQUIRE(mode);
  std::int64_t secure = -1;
  REQUIRE(mode->each([&](const store::Statement& s) { secure = s.int64(0); }));
  CHECK(secure == 0);
  // A second run finds nothing: no event, nothing done.
  auto again = engine::run_purge(*t.st, engine::RetentionPolicy::of(t.setup->config, t.setup->region), later,
                                 "admin:test", false, 0);
  REQUIRE(again);
  CHECK(again->total.outbox == 0);
  CHECK(purge_events().size() == 1);
}
