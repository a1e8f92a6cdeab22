// Nothing waits unseen (engine/deadlines.h, engine/stats.h): each reminder on the right working
// day, exactly once, whatever the restarts, the downtime or the clock; digests once a day; figures
// from the events.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine/actions.h"
#include "engine/deadlines.h"
#include "engine/stats.h"
#include "town.h"
#include "util/local_time.h"

using namespace guichet;
using test::Town;

namespace {

std::int64_t at(int y, int m, int d, int h = 10, int mi = 30) { return from_local(y, m, d, h, mi); }

engine::DeadlineRun run(Town& t, std::int64_t now, bool dry = false) {
  t.clock.set(now);
  auto r = engine::run_deadlines(*t.st, t.options(), now, dry);
  INFO((r ? std::string() : r.error().message));
  REQUIRE(r);
  return *r;
}

// "kind level" of what owed_for says on `day`.
std::vector<std::string> owed(Town& t, const std::string& ref, calendar::Date day) {
  auto r = t.st->request_summary(ref);
  REQUIRE(r);
  REQUIRE(*r);
  std::vector<std::string> out;
  for (const auto& o : engine::owed_for(**r, *t.setup->directory, calendar::Region::metropole, day))
    out.push_back(o.kind + " " + std::to_string(o.level));
  std::sort(out.begin(), out.end());
  return out;
}

int reminders_in(Town& t, const std::string& ref, const std::string& kind) {
  int n = 0;
  for (const auto& e : t.events(ref, "reminder")) n += e["kind"] == kind;
  return n;
}

}  // namespace

TEST_CASE("the response target: a reminder the working day before, the head after, the pilot two days later",
          "[deadlines]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  // Voirie: response target 5 jours ouvrés. Received Thursday 3 December 2026: due Thursday 10.
  const auto ref = t.ingest(test::resident_mail("dl-1@example.org", "Lampadaire éteint")).reference;
  REQUIRE(t.request(ref).response_due_on == std::optional<std::string>("2026-12-10"));
  using V = std::vector<std::string>;
  CHECK(owed(t, ref, {2026, 12, 8}).empty());
  CHECK(owed(t, ref, {2026, 12, 9}) == V{"response_reminder 0"});
  CHECK(owed(t, ref, {2026, 12, 10}) == V{"response_reminder 0"});
  CHECK(owed(t, ref, {2026, 12, 11}) == V{"response_escalation 1"});
  CHECK(owed(t, ref, {2026, 12, 14}) == V{"response_escalation 1", "response_escalation 2"});
  // Sent on their days, once each, across reruns and restarts.
  CHECK(run(t, at(2026, 12, 8)).reminders == 0);
  CHECK(run(t, at(2026, 12, 9)).reminders == 1);
  CHECK(run(t, at(2026, 12, 9, 16)).reminders == 0);  // a rerun the same day
  CHECK(run(t, at(2026, 12, 11)).reminders == 1);
  CHECK(run(t, at(2026, 12, 14)).reminders == 1);
  CHECK(run(t, at(2026, 12, 15)).reminders == 0);
  CHECK(reminders_in(t, ref, "response_reminder") == 1);
  CHECK(reminders_in(t, ref, "response_escalation") == 2);
  // The reminder went to the agent, the first escalation to the head (Paul Martin heads voirie
  // too), the second to the pilot (the DGS) and voirie's escalation address.
  auto rows = t.outbox("escalation");
  std::vector<std::string> to;
  for (const auto& r : rows) to.push_back(r.recipient);
  CHECK(std::count(to.begin(), to.end(), "p.martin@champignac.example") == 1);
  CHECK(std::count(to.begin(), to.end(), "v.durand@champignac.example") == 1);
  CHECK(std::count(to.begin(), to.end(), "dst@champignac.example") == 1);
  auto mail = t.outbox_message(rows.front().id);
  CHECK(mail.text.find("a dépassé son délai de réponse") != std::string::npos);
  CHECK(mail.text.find("10 décembre 2026") != std::string::npos);
  // An answer ends it: nothing owed once answered.
  CHECK(owed(t, ref, {2026, 12, 9}).size() == 1);
}

TEST_CASE("a daemon stopped for a week sends what is owed once, a clock that goes back sends nothing twice",
          "[deadlines]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  const auto ref = t.ingest(test::resident_mail("dl-2@example.org", "Lampadaire éteint")).reference;
  CHECK(run(t, at(2026, 12, 3)).reminders == 0);
  // Down from the 3rd to the 17th: the reminder's day is gone; both escalations are owed, once.
  auto week = run(t, at(2026, 12, 17));
  CHECK(week.reminders == 2);
  CHECK(reminders_in(t, ref, "response_reminder") == 0);
  CHECK(reminders_in(t, ref, "response_escalation") == 2);
  const size_t mails = t.outbox().size();
  CHECK(run(t, at(2026, 12, 17, 11)).reminders == 0);
  CHECK(run(t, at(2026, 12, 11)).reminders == 0);  // back in time: the escalation exists already
  CHECK(run(t, at(2026, 12, 18)).reminders == 0);
  CHECK(t.outbox().size() == mails);
  SECTION("a dry run says what it would do and writes nothing") {
    Town u("deadlines:\n  digest_at: 'off'\n");
    u.ingest(test::resident_mail("dl-3@example.org", "Lampadaire éteint"));
    auto dry = run(u, at(2026, 12, 11), true);
    REQUIRE(dry.lines.size() == 1);
    CHECK(dry.lines[0].find("would send") == 0);
    CHECK(dry.lines[0].find("response_escalation 1") != std::string::npos);
    CHECK(u.outbox("escalation").empty());
    CHECK(run(u, at(2026, 12, 11)).reminders == 1);
  }
}

TEST_CASE("a registration receipt: the full acknowledgement is owed by working day 10, agent on day 7, head on day 9",
          "[deadlines]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  const auto ref = t.ingest(test::resident_mail("fa-1@example.org", "Une question", "Bob <bob@example.org>",
                                                "mairie@champignac.example"),
                            "mairie")
                       .reference;
  auto full_ack = [&](calendar::Date day) {
    std::vector<std::string> out;
    for (const auto& o : owed(t, ref, day))
      if (o.rfind("full_ack", 0) == 0) out.push_back(o);
    return out;
  };
  using V = std::vector<std::string>;
  // Received Thursday 3 December: day 7 is Monday 14, day 9 Wednesday 16, day 10 Thursday 17.
  CHECK(full_ack({2026, 12, 11}).empty());
  CHECK(full_ack({2026, 12, 14}) == V{"full_ack 0"});
  CHECK(full_ack({2026, 12, 16}) == V{"full_ack 0", "full_ack 1"});
  CHECK(full_ack({2026, 12, 18}).empty());  // past day 10: the escalations of the response target take over
  // Once the procedure is known and the full acknowledgement sent, nothing more is owed for it.
  {
    auto opt = t.options("mairie");
    auto tx = t.st->transaction();
    REQUIRE(engine::apply_one(*t.st, engine::CommandKey::procedure, "rejet 2 mois", t.request(ref),
                              engine::Actor{nullptr, "admin:test", true}, opt, t.clock.now()));
    REQUIRE(tx->commit());
  }
  CHECK(full_ack({2026, 12, 16}).empty());
}

TEST_CASE("the deemed decision: the head and the pilot two weeks and three working days before, recorded on the day",
          "[deadlines]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  const auto ref = t.ingest(test::resident_mail("dd-1@example.org", "Lampadaire éteint")).reference;
  auto r = t.request(ref);
  REQUIRE(r.deemed_decision_on == std::optional<std::string>("2027-02-03"));  // rejection, 2 months
  // Answered: the response target is no longer a reminder, the deemed decision still is.
  store::RequestChanges c;
  c.status = store::RequestStatus::answered;
  {
    auto tx = t.st->transaction();
    REQUIRE(t.st->update_request(r.id, c, t.clock.now()));
    REQUIRE(tx->commit());
  }
  using V = std::vector<std::string>;
  CHECK(owed(t, ref, {2027, 1, 19}).empty());
  CHECK(owed(t, ref, {2027, 1, 20}) == V{"deemed_alert 1"});
  CHECK(owed(t, ref, {2027, 1, 29}) == V{"deemed_alert 1", "deemed_alert 2"});
  CHECK(owed(t, ref, {2027, 2, 3}) == V{"decision 0"});
  CHECK(run(t, at(2027, 1, 20)).reminders == 1);
  CHECK(run(t, at(2027, 1, 29)).reminders == 1);
  auto day = run(t, at(2027, 2, 3));
  CHECK(day.decisions == 1);
  CHECK(run(t, at(2027, 2, 4)).reminders == 0);
  auto decided = t.events(ref, "decision_implicite");
  REQUIRE(decided.size() == 1);
  CHECK(decided[0]["outcome"] == "rejection");
  CHECK(t.request(ref).decided_at);
  bool alert = false;
  for (const auto& row : t.outbox("escalation"))
    alert = alert || t.outbox_message(row.id).text.find("sera réputée rejetée le 3 février 2027") != std::string::npos;
  CHECK(alert);
}

TEST_CASE("a deadline on a public holiday moves to the next working day", "[deadlines][calendar]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  // Friday 18 December + 5 jours ouvrés: 21, 22, 23, 24, then 28 (25 December is a holiday).
  t.clock.set(at(2026, 12, 18, 11));
  const auto ref = t.ingest(test::resident_mail("hol-1@example.org", "Lampadaire éteint", "Léa <lea@example.org>",
                                                "voirie@champignac.example", test::received_header(t.clock.now()),
                                                "Bonjour, encore le lampadaire.\r\n"))
                       .reference;
  CHECK(t.request(ref).response_due_on == std::optional<std::string>("2026-12-28"));
  CHECK(owed(t, ref, {2026, 12, 24}) == std::vector<std::string>{"response_reminder 0"});
}

TEST_CASE("nobody to take it: the head at once, the pilot a working day later, or at once without a head", "[deadlines]") {
  // Paul Martin away until the end of the year, with no backup.
  const std::string src = GUICHET_SOURCE_DIR;
  test::TempDir d;
  std::string dir = test::read_file(src + "/etc/directory.yaml");
  dir.replace(dir.find("    departments: [voirie, proprete]"), 35,
              "    departments: [voirie, proprete]\n    absent_until: 2026-12-31");
  test::write_file(d.path() / "directory.yaml", dir);
  Town t("deadlines:\n  digest_at: 'off'\n", d.str("directory.yaml"));
  const auto ref = t.ingest(test::resident_mail("abs-1@example.org", "Lampadaire éteint")).reference;
  // Paul Martin is also voirie's head: nobody in voirie can take it, so the pilot hears at once.
  CHECK(t.request(ref).agent == std::nullopt);
  auto owed_now = owed(t, ref, {2026, 12, 3});
  CHECK(std::count(owed_now.begin(), owed_now.end(), "no_owner 2") == 1);
  CHECK(run(t, at(2026, 12, 3, 11)).reminders >= 1);
  bool pilot = false;
  for (const auto& row : t.outbox("escalation"))
    pilot = pilot || (row.recipient == "v.durand@champignac.example" &&
                      t.outbox_message(row.id).text.find("n'a personne pour la traiter") != std::string::npos);
  CHECK(pilot);
}

TEST_CASE("a reminder whose request was closed before it was sent is not sent", "[deadlines][outbox]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  const auto ref = t.ingest(test::resident_mail("cl-1@example.org", "Lampadaire éteint")).reference;
  run(t, at(2026, 12, 11));
  REQUIRE(t.outbox("escalation").size() == 1);
  {
    auto tx = t.st->transaction();
    REQUIRE(t.st->set_status(t.request(ref).id, store::RequestStatus::closed, t.clock.now()));
    REQUIRE(tx->commit());
  }
  auto stats = t.drain();
  CHECK(stats.cancelled == 1);
  CHECK(t.outbox("escalation").front().status == store::OutboxStatus::cancelled);
  for (const auto& raw : t.smtp.received()) CHECK(raw.find("délai de réponse") == std::string::npos);
}

TEST_CASE("a resident's relance tells the agent and the head at once, with the count", "[deadlines]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  const auto ref = t.ingest(test::resident_mail("rl-1@example.org", "Lampadaire éteint")).reference;
  t.days_later(2);
  auto again = t.ingest(test::resident_mail("rl-2@example.org", "Lampadaire éteint", "Léa Martin <lea.martin@example.org>",
                                            "voirie@champignac.example", test::received_header(t.clock.now()),
                                            "Toujours rien ?\r\n"));
  REQUIRE(again.relance);
  auto alerts = t.outbox("reminder");
  REQUIRE(alerts.size() == 1);  // Paul Martin is agent and head: told once
  auto m = t.outbox_message(alerts[0].id);
  CHECK(m.text.find("relance n° 1") != std::string::npos);
  CHECK(m.text.find("2 jour(s) après sa demande") != std::string::npos);
  CHECK(reminders_in(t, ref, "relance") == 0);  // written as its own row, not through the scanner
}

TEST_CASE("the daily digest: once per recipient per working day, from its hour, caught up later that day",
          "[deadlines][digest]") {
  Town t;
  t.ingest(test::resident_mail("dg-1@example.org", "Lampadaire éteint"));
  t.ingest(test::resident_mail("dg-2@example.org", "Une question", "Bob <bob@example.org>", "mairie@champignac.example"),
           "mairie");
  auto send = [&](std::int64_t now) {
    auto r = engine::send_digests(*t.st, t.options(), t.setup->config.deadlines, now, false);
    REQUIRE(r);
    return r->digests;
  };
  CHECK(send(at(2026, 12, 4, 7, 59)) == 0);  // before 08:00
  const int first = send(at(2026, 12, 4, 14, 0));  // the daemon was down at 08:00: caught up
  CHECK(first >= 3);  // heads, the pilot, the élus
  CHECK(send(at(2026, 12, 4, 15, 0)) == 0);
  CHECK(send(at(2026, 12, 5, 9, 0)) == 0);  // Saturday
  CHECK(send(at(2026, 12, 7, 8, 0)) == first);
  std::optional<mail::Message> pilot;
  for (const auto& row : t.outbox("digest"))
    if (row.recipient == "v.durand@champignac.example") pilot = t.outbox_message(row.id);
  REQUIRE(pilot);
  CHECK(pilot->text.find("Les demandes de la commune") != std::string::npos);
  // The élue follows urbanisme only: voirie's request is not in hers.
  auto digests = engine::compose_digests(*t.st, t.options(), t.setup->config.deadlines, at(2026, 12, 11));
  REQUIRE(digests);
  for (const auto& d : *digests) {
    if (d.to.address == "h.riviere@champignac.example") CHECK(d.text.find("Lampadaire") == std::string::npos);
    if (d.to.address == "p.martin@champignac.example") CHECK(d.text.find("En retard (1)") != std::string::npos);
  }
  auto print = test::run_guichet("digest --print --to p.martin@champignac.example --now 2026-12-11T09:00 " + t.args());
  INFO(print.err);
  REQUIRE(print.status == 0);
  CHECK(print.out.find("Lampadaire éteint") != std::string::npos);
}

TEST_CASE("a digest shows the first thirty of a list, the latest first, and counts the rest", "[deadlines][digest]") {
  Town t("deadlines:\n  digest_at: 'off'\nweb:\n  base_url: https://guichet.champignac.example\n");
  t.clock.set(at(2026, 11, 2));
  const auto oldest = t.ingest(test::resident_mail("dg-old@example.org", "Trottoir défoncé")).reference;
  t.clock.set(at(2026, 11, 16));
  for (int i = 0; i < 40; ++i)
    t.ingest(test::resident_mail("dg-" + std::to_string(i) + "@example.org", "Demande numéro " + std::to_string(i)));
  auto digests =
      engine::compose_digests(*t.st, t.options(), t.setup->config.deadlines, at(2026, 12, 11),
                              [](const engine::Recipient& to) { return to.address == "v.durand@champignac.example"; });
  REQUIRE(digests);
  REQUIRE(digests->size() == 1);  // only the one asked for is composed
  const std::string& text = digests->front().text;
  INFO(text);
  CHECK(digests->front().count == 41);
  CHECK(text.find("En retard (41)") != std::string::npos);
  size_t late_lines = 0;
  for (size_t p = 0; (p = text.find("de retard, confiée", p)) != std::string::npos; ++p) ++late_lines;
  CHECK(late_lines == 30);
  CHECK(text.find("… et 11 autre(s), à voir sur https://guichet.champignac.example/vue") != std::string::npos);
  // The request late the longest comes first.
  CHECK(text.find(oldest) < text.find("Demande numéro"));
}

TEST_CASE("guichet deadlines run --now: on the right dates, exactly once across runs", "[deadlines][cli]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  const auto ref = t.ingest(test::resident_mail("cli-dl@example.org", "Lampadaire éteint")).reference;
  auto at_day = [&](const std::string& day, bool dry = false) {
    auto r = test::run_guichet("deadlines run --now " + day + (dry ? " --dry-run " : " ") + t.args());
    INFO(r.err);
    REQUIRE(r.status == 0);
    return r.out;
  };
  CHECK(at_day("2027-01-15", true).find("would send " + ref + " deemed_alert") == std::string::npos);
  CHECK(at_day("2026-12-09T09:00").find("sent " + ref + " response_reminder 0") != std::string::npos);
  CHECK(at_day("2026-12-09T09:00").find("sent") == std::string::npos);
  CHECK(at_day("2026-12-11").find("response_escalation 1") != std::string::npos);
  CHECK(at_day("2027-01-20").find("deemed_alert 1") != std::string::npos);
  CHECK(at_day("2027-01-20").find("sent") == std::string::npos);
  auto bad = test::run_guichet("deadlines run --now 15/01/2027 " + t.args());
  CHECK(bad.status == 64);
}

TEST_CASE("configuration errors of deadlines say where", "[deadlines][config]") {
  auto c = config::parse("deadlines:\n  digest_at: 25:00\n  working_hours: 17:00-09:00\n  every_minutes: 0\n", "g.yaml", "");
  REQUIRE_FALSE(c);
  CHECK(c.error().message.find("g.yaml:2:14: digest_at must be a time of day") != std::string::npos);
  CHECK(c.error().message.find("g.yaml:3:18: working_hours must be HH:MM-HH:MM") != std::string::npos);
  CHECK(c.error().message.find("g.yaml:4:18:") != std::string::npos);
  auto d = directory::Directory::parse(
      "departments:\n  - {id: v, name: V, email: v@x.fr, address: a, phone: p, response_target: bientôt}\n", "d.yaml");
  REQUIRE_FALSE(d);
  CHECK(d.error().message.find("d.yaml:2:76: a delay is a number and a unit") != std::string::npos);
}

TEST_CASE("stats: figures computed from the events, by department", "[stats]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  const auto a = t.ingest(test::resident_mail("st-1@example.org", "Lampadaire éteint")).reference;
  t.ingest(test::resident_mail("st-2@example.org", "Une question", "Bob <bob@example.org>", "mairie@champignac.example"),
           "mairie");
  t.ingest(test::resident_mail("st-3@example.org", "Lampadaire éteint", "Léa Martin <lea.martin@example.org>",
                               "voirie@champignac.example", "", "Relance !\r\n"));
  // Paul Martin answers request A the next morning at 10:30: 8 working hours after 09:30 + 1 h.
  t.clock.set(at(2026, 12, 4, 10, 30));
  auto n = t.notice(a, "p.martin@champignac.example");
  t.ingest(test::agent_reply(n, "p.martin@champignac.example", "C'est noté.", test::Client::outlook, "st-ans@x"));
  engine::StatsQuery q;
  q.since = at(2026, 12, 1, 0, 0);
  q.until = at(2026, 12, 31, 0, 0);
  q.by = "department";
  auto s = engine::compute_stats(*t.st, q);
  REQUIRE(s);
  CHECK(s->total.received == 2);
  CHECK(s->total.answered == 1);
  CHECK(s->total.chased == 1);
  REQUIRE(s->total.median_hours);
  CHECK(*s->total.median_hours == Approx(9.0).epsilon(0.01));  // 09:30-17:00 (7.5 h) + 09:00-10:30 (1.5 h)
  CHECK(s->total.within_target == 1);
  REQUIRE(s->rows.size() == 2);
  CHECK(s->rows[0].key == "accueil");
  CHECK(s->rows[1].key == "voirie");
  CHECK(s->rows[1].answered == 1);
  auto cli = test::run_guichet("stats --since 2026-12-01 --until 2026-12-31 --by department --json " + t.args());
  INFO(cli.err);
  REQUIRE(cli.status == 0);
  auto j = nlohmann::json::parse(cli.out);
  CHECK(j["total"]["received"] == 2);
  CHECK(j["rows"].size() == 2);
  auto csv = test::run_guichet("stats --since 2026-12-01 --until 2026-12-31 --csv " + t.args());
  CHECK(csv.out.find("total,2,1,") != std::string::npos);
}

TEST_CASE("the attestation of an implicit acceptance (L232-3), refused before the date", "[deadlines][cli]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  const auto ref = t.ingest(test::resident_mail("att-1@example.org", "Lampadaire éteint")).reference;
  auto refused = test::run_guichet("attestation " + t.args() + " " + ref);
  CHECK(refused.status == 65);
  CHECK(refused.err.find("silence does not mean acceptance") != std::string::npos);
  {
    auto opt = t.options();
    auto r = t.request(ref);
    auto tx = t.st->transaction();
    auto done = engine::apply_one(*t.st, engine::CommandKey::procedure, "acceptation 2 mois", r,
                                  engine::Actor{nullptr, "admin:test", true}, opt, t.clock.now());
    REQUIRE(done);
    REQUIRE(tx->commit());
  }
  auto early = test::run_guichet("attestation " + t.args() + " " + ref + " --now 2027-01-15");
  CHECK(early.status == 65);
  auto ok = test::run_guichet("attestation " + t.args() + " " + ref + " --now 2027-02-10");
  INFO(ok.err);
  REQUIRE(ok.status == 0);
  CHECK(ok.out.find("ATTESTATION DE DÉCISION IMPLICITE D'ACCEPTATION") != std::string::npos);
  CHECK(ok.out.find("3 février 2027") != std::string::npos);
  CHECK(ok.out.find("L. 232-3") != std::string::npos);
}

TEST_CASE("a department with no head: the late request goes to the pilot", "[deadlines]") {
  const std::string src = GUICHET_SOURCE_DIR;
  test::TempDir d;
  std::string dir = test::read_file(src + "/etc/directory.yaml");
  // Voirie without its head line.
  const size_t at_voirie = dir.find("  - id: voirie");
  const size_t head = dir.find("    head: pmartin\n", at_voirie);
  dir.erase(head, std::string("    head: pmartin\n").size());
  test::write_file(d.path() / "directory.yaml", dir);
  Town t("deadlines:\n  digest_at: 'off'\n", d.str("directory.yaml"));
  const auto ref = t.ingest(test::resident_mail("nohead@example.org", "Lampadaire éteint")).reference;
  CHECK(run(t, at(2026, 12, 11)).reminders == 1);
  auto rows = t.outbox("escalation");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].recipient == "v.durand@champignac.example");
  CHECK(reminders_in(t, ref, "response_escalation") == 1);
}
