#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>

#include "engine/ingest.h"
#include "helpers.h"

using namespace guichet;
using threading::Decision;

namespace {

struct Fixture {
  test::TempDir dir;
  store::Store st = std::move(*store::Store::open(dir.str("g.db")));
  FixedClock clock{1795000000};  // 2026-11-18

  Fixture() {
    setenv("TZ", "Europe/Paris", 1);
    tzset();
  }

  engine::Outcome ingest(const std::string& raw, const std::string& mailbox = "file",
                         std::optional<std::string> department = std::nullopt) {
    auto tx = st.transaction();
    REQUIRE(tx);
    engine::IngestOptions opt;
    opt.department = std::move(department);
    auto out = engine::ingest(st, raw, store::Source{mailbox, "test", ""}, opt, clock);
    REQUIRE(out);
    REQUIRE(tx->commit());
    return *out;
  }

  std::int64_t count(const std::string& table) {
    auto q = st.database().prepare("SELECT count(*) FROM " + table);
    REQUIRE(q);
    REQUIRE(*q->step());
    return q->int64(0);
  }
};

}  // namespace

TEST_CASE("each new mail becomes a request, the same mail again is a duplicate", "[ingest]") {
  Fixture f;
  std::string raw = test::corpus("gmail-utf8-attachment.eml");
  auto first = f.ingest(raw, "etat-civil", "etat-civil");
  CHECK(first.kind == Decision::Kind::new_request);
  CHECK(first.reference == "2026-000001");
  CHECK(first.matched_by == "new");

  // The same mail, delivered to a second mailbox with an extra header on top.
  auto second = f.ingest("Delivered-To: mairie@champignac.example\n" + raw, "mairie");
  CHECK(second.kind == Decision::Kind::duplicate);
  CHECK(second.reference == "2026-000001");
  CHECK(second.matched_by == "message-id:CAHx9=abc123+XyZ@mail.gmail.com");
  CHECK(f.count("requests") == 1);
  CHECK(f.count("messages") == 1);

  auto r = f.st.request("2026-000001");
  REQUIRE(r);
  REQUIRE(*r);
  const auto& req = **r;
  CHECK(req.department == std::optional<std::string>("etat-civil"));
  CHECK(req.requester.address == "amelie.martin@gmail.example");
  CHECK(req.requester.name == "Amélie Martin");
  CHECK(req.subject == "Demande d'acte de naissance");
  // received_at is the topmost Received: date (09:12:45 +0100), not the ingest time.
  CHECK(req.received_at == 1793779965);
  REQUIRE(req.messages.size() == 1);
  REQUIRE(req.messages[0].sources.size() == 2);
  CHECK(req.messages[0].sources[0].mailbox == "etat-civil");
  CHECK(req.messages[0].sources[1].mailbox == "mairie");
  REQUIRE(req.events.size() == 3);
  CHECK(req.events[0].kind == "created");
  CHECK(req.events[1].kind == "acknowledgement_suppressed");  // no smtp in this configuration
  CHECK(req.events[1].detail_json == R"({"reason":"no smtp configured"})");
  CHECK(req.events[2].kind == "duplicate");
  REQUIRE(req.messages[0].attachments.size() == 1);
  CHECK(req.messages[0].attachments[0].filename == "demande_acte_né.pdf");
}

TEST_CASE("raw mail is kept byte for byte", "[ingest][raw]") {
  Fixture f;
  for (const auto& e : std::filesystem::directory_iterator(test::data_path("mail"))) {
    std::string raw = test::read_file(e.path().string());
    auto out = f.ingest(raw);
    if (out.kind != Decision::Kind::new_request) continue;
    auto req = f.st.request(out.reference);
    REQUIRE(req);
    REQUIRE(*req);
    auto back = f.st.raw((*req)->messages[0].id);
    REQUIRE(back);
    INFO(e.path().filename().string());
    CHECK(*back == raw);
  }
}

TEST_CASE("an attachment sent twice is stored once", "[ingest][raw]") {
  Fixture f;
  std::string raw = test::corpus("gmail-utf8-attachment.eml");
  f.ingest(raw);
  // A relance with the same PDF: another Message-ID, another subject.
  std::string relance = raw;
  relance.replace(relance.find("CAHx9=abc123"), 12, "CAHx9=zzz999");
  relance.replace(relance.find("RGVtYW5kZSBkJ2FjdGUgZGUgbmFpc3NhbmNl"), 36, "UmVsYW5jZQ==");
  auto out = f.ingest(relance);
  CHECK(out.kind == Decision::Kind::new_request);
  CHECK(f.count("attachments") == 2);
  CHECK(f.count("blobs") == 1);
  CHECK(f.count("raw_messages") == 2);
  // Neither raw copy holds the PDF: both are far smaller than the mail.
  auto q = f.st.database().prepare("SELECT max(length(data)) FROM raw_messages");
  REQUIRE(q);
  REQUIRE(*q->step());
  CHECK(q->int64(0) < static_cast<std::int64_t>(raw.size() / 2));
}

TEST_CASE("without a Message-ID, the content recognises a second copy", "[ingest]") {
  Fixture f;
  std::string raw = test::corpus("no-message-id.eml");
  CHECK(f.ingest(raw).kind == Decision::Kind::new_request);
  auto again = f.ingest("Received: by relay; Sat, 14 Nov 2026 15:00:05 +0100\n" + raw);
  CHECK(again.kind == Decision::Kind::duplicate);
  CHECK(again.matched_by == "content-hash");
}

TEST_CASE("a reused Message-ID on different mail is never merged silently", "[ingest]") {
  Fixture f;
  auto a = f.ingest("From: a@x.fr\nMessage-ID: <same@x.fr>\nSubject: un\n\npremier\n");
  auto b = f.ingest("From: b@x.fr\nMessage-ID: <same@x.fr>\nSubject: deux\n\nsecond\n");
  CHECK(a.kind == Decision::Kind::new_request);
  CHECK(b.kind == Decision::Kind::new_request);
  CHECK(a.reference != b.reference);
  bool noted = false;
  for (const auto& p : b.problems) noted = noted || p.find("already belongs to a different mail") != std::string::npos;
  CHECK(noted);
}

TEST_CASE("malformed mail is stored with its problems and listed", "[ingest][malformed]") {
  Fixture f;
  auto out = f.ingest(std::string("\x00\xFF garbage without any header\n", 29));
  CHECK(out.kind == Decision::Kind::new_request);
  auto all = f.st.requests();
  REQUIRE(all);
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].problem_messages == 1);
  auto back = f.st.raw(f.st.request(out.reference)->value().messages[0].id);
  REQUIRE(back);
  CHECK(*back == std::string("\x00\xFF garbage without any header\n", 29));
}

TEST_CASE("the reference year is the commune's local year of receipt", "[ingest]") {
  Fixture f;
  f.clock.set(1798848000);  // 2 January 2027
  // 31 December 2026, 23:30 UTC is already 1 January 2027 in Paris.
  auto out = f.ingest("Received: by mx; Thu, 31 Dec 2026 23:30:00 +0000\nFrom: a@x.fr\nMessage-ID: <ny@x.fr>\n\nBonne année\n");
  CHECK(out.reference == "2027-000001");
  // A Received: date in the future (a wrong clock upstream) is clamped to now.
  auto future = f.ingest("Received: by mx; Fri, 1 Jan 2100 00:00:00 +0000\nFrom: b@x.fr\nMessage-ID: <fut@x.fr>\n\nx\n");
  CHECK(f.st.request(future.reference)->value().received_at == 1798848000);
}

TEST_CASE("a full disk is a temporary failure and leaves nothing half-written", "[ingest][malformed]") {
  Fixture f;
  f.ingest("From: a@x.fr\nMessage-ID: <first@x.fr>\n\nsmall\n");
  auto pages = f.st.database().prepare("PRAGMA page_count");
  REQUIRE(pages);
  REQUIRE(*pages->step());
  std::int64_t now = pages->int64(0);
  REQUIRE(f.st.database().exec("PRAGMA max_page_count = " + std::to_string(now + 2)));

  {
    auto tx = f.st.transaction();
    REQUIRE(tx);
    std::string big = "From: b@x.fr\nMessage-ID: <big@x.fr>\n\n";
    for (int i = 0; i < 20000; ++i) big += std::to_string(i * 7919) + " ";  // does not compress away
    auto out = engine::ingest(f.st, big, store::Source{}, {}, f.clock);
    REQUIRE_FALSE(out);
    CHECK(out.error().code == Errc::temp_fail);
    CHECK(out.error().message.find("full") != std::string::npos);
  }  // rolled back
  CHECK(f.count("requests") == 1);
  CHECK(f.count("messages") == 1);
  CHECK(f.count("raw_messages") == 1);
}
