// Threading: every message lands in the right request, exactly once (docs/ARCHITECTURE.md).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <ctime>

#include "engine/ingest.h"
#include "engine/route.h"
#include "helpers.h"
#include "routing/rules.h"
#include "threading/keys.h"
#include "util/local_time.h"

using namespace guichet;
using threading::Decision;
using Kind = threading::Decision::Kind;

TEST_CASE("subjects normalise across French clients' prefixes, tags, case and accents", "[threading][keys]") {
  using threading::normalise_subject;
  const std::string base = normalise_subject("Trottoir abîmé rue des Écoles");
  CHECK(base == "trottoir abime rue des ecoles");
  for (const char* variant :
       {"RE : Trottoir abîmé rue des Écoles", "Re: TR : trottoir ABIME rue des ecoles", "TR: Fwd: RE : Trottoir abîmé rue des Écoles",
        "[Réf. 2026-000042] Trottoir abîmé rue des Écoles", "Re[2]: Trottoir  abîmé   rue des Écoles",
        "AW: WG: Trottoir abîmé rue des Écoles", "VS: SV: Trottoir abîmé rue des Écoles",
        "Réf : Trottoir abîmé rue des Écoles", "RE : [Réf. 2026-000042] RE : Trottoir abîmé rue des Écoles",
        "Fw: [mairie] Trottoir abîmé rue des Écoles"}) {
    INFO(variant);
    CHECK(normalise_subject(variant) == base);
  }
  CHECK(normalise_subject("Réponse à votre courrier") == "reponse a votre courrier");  // "Réponse" is not "Rép:"
  CHECK(normalise_subject("Travaux: calendrier") == "travaux: calendrier");
}

TEST_CASE("references in subjects, mangled or not", "[threading][keys]") {
  using threading::subject_reference;
  CHECK(subject_reference("[Réf. 2026-000042] Trottoir") == "2026-000042");
  CHECK(subject_reference("RE : TR : [REF. 2026-000042] Trottoir") == "2026-000042");
  CHECK(subject_reference("Re: [Ref 2026-000042]") == "2026-000042");
  CHECK(subject_reference("réf.2026 - 000042") == "2026-000042");
  CHECK(subject_reference("[ref: 2026-42] relance") == "2026-000042");
  CHECK(subject_reference("Réf n° 2026-000042") == "2026-000042");
  CHECK_FALSE(subject_reference("Trottoir du 2026-11-03"));
  CHECK_FALSE(subject_reference("référence 2026-000042"));  // a word, not the tag
  CHECK_FALSE(subject_reference("[Réf. 2026-0000421]"));
  CHECK(subject_reference("[Dossier 2026-000042]", "Dossier") == "2026-000042");
}

TEST_CASE("Outlook's Thread-Index: the first 22 bytes name the conversation", "[threading][keys]") {
  // Two messages of one conversation: same 22-byte header, different 5-byte child blocks.
  std::string a = threading::thread_index_key("AdmxK3v5Qe1VXyZ0TkSnUe6Y8dh3Aw==");
  std::string b = threading::thread_index_key("AdmxK3v5Qe1VXyZ0TkSnUe6Y8dh3AwAAAAFZAA==");
  CHECK(a.size() == 44);
  CHECK(a == b);
  CHECK(threading::thread_index_key("AQID").empty());
  CHECK(threading::thread_index_key("").empty());
}

TEST_CASE("decide(): first match wins, in the documented order", "[threading][decide]") {
  mail::Message m;
  m.message_id = "new@x";
  store::ExistingMessage stored{1, 1, "2026-000001", "H"};
  store::ExistingMessage other{2, 2, "2026-000002", "OTHER"};
  store::RequestState open{5, "2026-000005", store::RequestStatus::open, std::nullopt, 0};
  store::RequestState named{6, "2026-000006", store::RequestStatus::new_request, std::nullopt, 0};
  const std::int64_t now = 100 * 86400;
  store::RequestState closed_recently{7, "2026-000007", store::RequestStatus::closed, now - 10 * 86400, 0};
  store::RequestState closed_long_ago{8, "2026-000008", store::RequestStatus::closed, now - 60 * 86400, 0};
  threading::ThreadingPolicy policy;

  struct Row {
    const char* name;
    std::string message_id;
    threading::Lookups found;
    Kind kind;
    std::string matched_by;
    std::string target;  // reference of the request joined, named, or duplicated
  };
  auto L = [] { return threading::Lookups{}; };
  std::vector<Row> rows;
  rows.push_back({"nothing known", "new@x", L(), Kind::new_request, "new", ""});
  {
    auto f = L();
    f.by_message_id = stored;
    f.by_reference = std::make_pair(std::string("p@x"), open);
    rows.push_back({"same Message-ID and content beats everything", "new@x", f, Kind::duplicate, "message-id:new@x", "2026-000001"});
  }
  {
    auto f = L();
    f.by_content_hash = stored;
    rows.push_back({"no Message-ID, same content", "", f, Kind::duplicate, "content-hash", "2026-000001"});
    rows.push_back({"own Message-ID, same content elsewhere: not a duplicate", "new@x", f, Kind::new_request, "new", ""});
  }
  {
    auto f = L();
    f.by_message_id = other;
    f.by_placeholder = open;
    rows.push_back({"reused Message-ID is not a placeholder match", "new@x", f, Kind::new_request, "new", ""});
  }
  {
    auto f = L();
    f.by_reference = std::make_pair(std::string("p@x"), open);
    f.by_thread_index = named;
    f.relance = named;
    rows.push_back({"references beat Thread-Index and relance", "new@x", f, Kind::attach, "references:p@x", "2026-000005"});
  }
  {
    auto f = L();
    f.by_placeholder = open;
    rows.push_back({"arrived after its reply", "new@x", f, Kind::attach, "referenced-by-earlier-mail:new@x", "2026-000005"});
  }
  {
    auto f = L();
    f.by_thread_index = open;
    f.by_subject_reference = named;
    f.sender_participates = true;
    rows.push_back({"Thread-Index beats the subject", "new@x", f, Kind::attach, "thread-index", "2026-000005"});
  }
  {
    auto f = L();
    f.by_subject_reference = named;
    f.sender_participates = true;
    rows.push_back({"subject reference from a participant", "new@x", f, Kind::attach, "subject-reference:2026-000006", "2026-000006"});
    f.sender_participates = false;
    rows.push_back({"subject reference from a stranger", "new@x", f, Kind::new_request,
                    "new, names 2026-000006 (sender not a participant)", "2026-000006"});
  }
  {
    auto f = L();
    f.resent = stored;
    f.relance = open;
    rows.push_back({"a resent copy is a duplicate, not a relance", "other@x", f, Kind::duplicate, "resent", "2026-000001"});
  }
  {
    auto f = L();
    f.relance = open;
    rows.push_back({"relance", "new@x", f, Kind::attach, "relance", "2026-000005"});
  }
  {
    auto f = L();
    f.by_reference = std::make_pair(std::string("p@x"), closed_recently);
    rows.push_back({"reply to a request closed 10 days ago reopens it", "new@x", f, Kind::attach, "references:p@x", "2026-000007"});
    f.by_reference = std::make_pair(std::string("p@x"), closed_long_ago);
    rows.push_back({"reply to a request closed 60 days ago starts a linked one", "new@x", f, Kind::new_request,
                    "after-close:2026-000008 (references:p@x)", "2026-000008"});
  }

  for (const auto& row : rows) {
    INFO(row.name);
    m.message_id = row.message_id;
    Decision d = threading::decide(m, "H", row.found, policy, now);
    CHECK(d.kind == row.kind);
    CHECK(d.matched_by == row.matched_by);
    std::string target = d.existing ? d.existing->reference
                         : d.request ? d.request->reference
                         : d.linked_to ? d.linked_to->reference
                                       : "";
    CHECK(target == row.target);
  }
  // The reopen and relance flags.
  auto f = L();
  f.by_reference = std::make_pair(std::string("p@x"), closed_recently);
  CHECK(threading::decide(m, "H", f, policy, now).reopen);
  f = L();
  f.relance = open;
  CHECK(threading::decide(m, "H", f, policy, now).relance);
}

namespace {

// A database and a clock; mails are written as residents' clients write them.
struct Town {
  test::TempDir dir;
  store::Store st = std::move(*store::Store::open(dir.str("g.db")));
  FixedClock clock{1793779200};  // Wednesday 4 November 2026, 08:00 UTC
  engine::IngestOptions options;

  Town() {
    setenv("TZ", "Europe/Paris", 1);
    tzset();
  }

  engine::Outcome ingest(const std::string& raw, const std::string& mailbox = "mairie") {
    auto tx = st.transaction();
    REQUIRE(tx);
    auto out = engine::ingest(st, raw, store::Source{mailbox, "test", ""}, options, clock);
    REQUIRE(out);
    REQUIRE(tx->commit());
    return *out;
  }

  void days_later(int days) { clock.set(clock.now() + days * 86400); }

  // A mail received now (the Received: header carries the clock's time).
  std::string mail(const std::string& headers, const std::string& body = "Bonjour.\n") {
    char date[64];
    std::time_t t = clock.now();
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return "Received: by mx.champignac.example; " + std::string(date) + "\nDate: " + date + "\n" + headers +
           "\nContent-Type: text/plain; charset=utf-8\n\n" + body;
  }

  store::RequestInfo request(const std::string& ref) {
    auto r = st.request(ref);
    REQUIRE(r);
    REQUIRE(*r);
    return **r;
  }

  size_t requests() {
    auto all = st.requests();
    REQUIRE(all);
    return all->size();
  }
};

}  // namespace

TEST_CASE("a resident's reply with References joins the request", "[threading]") {
  Town t;
  auto first = t.ingest(t.mail("From: Jean Dupont <jean@orange.example>\nSubject: Trottoir abîmé\nMessage-ID: <a1@orange.example>"));
  t.days_later(2);
  auto reply = t.ingest(t.mail("From: Jean Dupont <jean@orange.example>\nSubject: RE : Trottoir abîmé\n"
                               "Message-ID: <a2@orange.example>\nIn-Reply-To: <a1@orange.example>\n"
                               "References: <a1@orange.example>"));
  CHECK(reply.kind == Kind::attach);
  CHECK(reply.reference == first.reference);
  CHECK(reply.matched_by == "references:a1@orange.example");
  auto r = t.request(first.reference);
  REQUIRE(r.messages.size() == 2);
  CHECK(r.messages[1].matched_by == "references:a1@orange.example");
  CHECK(r.events.back().kind == "message_added");
}

TEST_CASE("References are walked from the newest", "[threading]") {
  Town t;
  auto a = t.ingest(t.mail("From: a@x.fr\nSubject: Un\nMessage-ID: <root@x.fr>"));
  auto b = t.ingest(t.mail("From: b@x.fr\nSubject: Deux\nMessage-ID: <other@x.fr>"));
  // References lists the root first; its newest entry belongs to b's request.
  auto c = t.ingest(t.mail("From: c@x.fr\nSubject: Re\nMessage-ID: <c@x.fr>\nReferences: <root@x.fr> <other@x.fr>"));
  CHECK(c.reference == b.reference);
  CHECK(c.matched_by == "references:other@x.fr");
  (void)a;
}

TEST_CASE("Outlook without References: Thread-Index finds the conversation", "[threading]") {
  Town t;
  auto first = t.ingest(t.mail("From: Fran\xC3\xA7ois <francois@entreprise.example>\nSubject: Travaux rue Pasteur\n"
                               "Message-ID: <o1@entreprise.example>\nThread-Index: AdmxK3v5Qe1VXyZ0TkSnUe6Y8dh3Aw=="));
  t.days_later(1);
  auto reply = t.ingest(t.mail("From: Fran\xC3\xA7ois <francois@entreprise.example>\nSubject: RE: Travaux - planning\n"
                               "Message-ID: <o2@entreprise.example>\nThread-Index: AdmxK3v5Qe1VXyZ0TkSnUe6Y8dh3AwAAAAFZAA=="));
  CHECK(reply.kind == Kind::attach);
  CHECK(reply.reference == first.reference);
  CHECK(reply.matched_by == "thread-index");
}

TEST_CASE("a reference in the subject: participants join, strangers get their own request", "[threading]") {
  Town t;
  auto first = t.ingest(t.mail("From: Marie <marie@free.example>\nCc: paul@free.example\nSubject: Concession n° 12\n"
                               "Message-ID: <m1@free.example>"));
  REQUIRE(first.reference == "2026-000001");
  t.days_later(3);
  // Marie writes a new mail (no References) quoting the reference, mangled by her webmail.
  auto again = t.ingest(t.mail("From: marie@FREE.example\nSubject: TR : [REF 2026-000001] concession\n"
                               "Message-ID: <m2@free.example>"));
  CHECK(again.kind == Kind::attach);
  CHECK(again.reference == "2026-000001");
  CHECK(again.matched_by == "subject-reference:2026-000001");
  // Paul was in copy: he takes part.
  auto paul = t.ingest(t.mail("From: paul@free.example\nSubject: [Réf. 2026-000001] pièces\nMessage-ID: <p1@free.example>"));
  CHECK(paul.reference == "2026-000001");
  // A stranger quoting the same reference gets a new request, linked to the one named.
  auto stranger = t.ingest(t.mail("From: inconnu@spam.example\nSubject: [Réf. 2026-000001] votre dossier\n"
                                  "Message-ID: <s1@spam.example>"));
  CHECK(stranger.kind == Kind::new_request);
  CHECK(stranger.reference == "2026-000002");
  CHECK(stranger.linked_to == std::optional<std::string>("2026-000001"));
  CHECK(t.request("2026-000002").linked_to == std::optional<std::string>("2026-000001"));
  CHECK(t.request("2026-000001").messages.size() == 3);
}

TEST_CASE("a relance written as a new mail a week later is attached and counted", "[threading]") {
  Town t;
  auto first = t.ingest(t.mail("From: Gérard <gerard@free.example>\nSubject: Bruit du bar après minuit\n"
                               "Message-ID: <g1@free.example>",
                               "Le bar fait du bruit.\n"));
  t.days_later(7);
  auto plain = t.ingest(t.mail("From: Gérard <gerard@free.example>\nSubject: Re: Bruit du bar après minuit\n"
                               "Message-ID: <g3@free.example>",
                               "Je me permets de vous relancer.\n"));
  CHECK(plain.kind == Kind::attach);
  CHECK(plain.relance);
  CHECK(plain.reference == first.reference);
  CHECK(t.request(first.reference).relances == 1);
  CHECK(t.request(first.reference).events.back().kind == "relance");
  // After the window, the same subject starts a new request.
  t.days_later(31);
  auto late = t.ingest(t.mail("From: Gérard <gerard@free.example>\nSubject: Bruit du bar après minuit\n"
                              "Message-ID: <g4@free.example>",
                              "Ça recommence.\n"));
  CHECK(late.kind == Kind::new_request);
}

TEST_CASE("a chaser: the original subject after a chasing phrase, in every French form", "[threading]") {
  // Each chaser is a new mail (no In-Reply-To) from the resident, a week after the request.
  for (const std::string subject : {"Relance : Lampadaire éteint rue Pasteur", "RELANCE - lampadaire eteint rue pasteur",
                                    "2e relance : Lampadaire éteint rue Pasteur", "2ème RELANCE: Lampadaire éteint rue Pasteur",
                                    "Rappel : Lampadaire éteint rue Pasteur", "Toujours sans réponse : Lampadaire éteint rue Pasteur",
                                    "Sans nouvelles - Lampadaire éteint rue Pasteur", "URGENT !! Lampadaire éteint rue Pasteur",
                                    "TR : Relance : Lampadaire éteint rue Pasteur", "Relance / Lampadaire éteint rue Pasteur"}) {
    INFO(subject);
    Town t;
    auto first = t.ingest(t.mail("From: Léa Martin <lea@orange.example>\nSubject: Lampadaire éteint rue Pasteur\n"
                                 "Message-ID: <l1@orange.example>"));
    t.days_later(7);
    auto chaser = t.ingest(t.mail("From: Léa Martin <LEA@orange.example>\nSubject: " + subject +
                                  "\nMessage-ID: <l2@orange.example>",
                                  "Je n'ai toujours pas de réponse.\n"));
    CHECK(chaser.kind == Kind::attach);
    CHECK(chaser.reference == first.reference);
    CHECK(chaser.relance);
    CHECK(chaser.matched_by == "chaser:lampadaire eteint rue pasteur");
    CHECK(t.request(first.reference).relances == 1);
    CHECK(t.request(first.reference).events.back().kind == "relance");
    CHECK(t.requests() == 1);
  }
}

TEST_CASE("not a chaser: another resident, another subject, a closed request, a short subject", "[threading]") {
  Town t;
  auto first = t.ingest(t.mail("From: Léa Martin <lea@orange.example>\nSubject: Lampadaire éteint\n"
                               "Message-ID: <n1@orange.example>"));
  t.days_later(2);
  // Someone else chasing the same subject is someone else's matter.
  CHECK(t.ingest(t.mail("From: paul@free.example\nSubject: Relance : Lampadaire éteint\nMessage-ID: <n2@free.example>")).kind ==
        Kind::new_request);
  // A subject that merely starts like the earlier one is a new matter.
  CHECK(t.ingest(t.mail("From: lea@orange.example\nSubject: Lampadaire éteint aussi rue Foch\nMessage-ID: <n3@orange.example>"))
            .kind == Kind::new_request);
  // A short earlier subject is too common to be chased by containment.
  auto cv = t.ingest(t.mail("From: marc@free.example\nSubject: Info\nMessage-ID: <n4@free.example>"));
  CHECK(t.ingest(t.mail("From: marc@free.example\nSubject: Relance : info\nMessage-ID: <n5@free.example>")).kind ==
        Kind::new_request);
  (void)first;
  (void)cv;
}

TEST_CASE("an answer without References, to the requester, joins the request", "[threading]") {
  // Outlook answering a Gmail resident with the shared address in Cc sends no In-Reply-To and
  // starts its own Thread-Index; Gmail and Thunderbird when the agent copied the text do the same.
  struct Case {
    const char* client;
    std::string headers;
  };
  const std::vector<Case> cases = {
      {"Outlook, shared address in Cc", "From: Paul Martin <p.martin@champignac.example>\nTo: Léa Martin <lea@gmail.example>\n"
                                        "Cc: voirie@champignac.example\nSubject: RE : Trottoir défoncé\n"
                                        "Thread-Index: AdnQ1234567890abcdefABCDEF12==\nMessage-ID: <o1@champignac.example>"},
      {"Thunderbird, Cc to the resident", "From: p.martin@champignac.example\nTo: voirie@champignac.example\n"
                                          "Cc: lea@GMAIL.example\nSubject: Re: Trottoir défoncé\nMessage-ID: <t1@champignac.example>"},
      {"the resident's husband, in copy of the first mail", "From: marc@gmail.example\nTo: lea@gmail.example\n"
                                                            "Subject: TR: Trottoir défoncé\nMessage-ID: <h1@gmail.example>"},
  };
  for (const auto& c : cases) {
    INFO(c.client);
    Town t;
    t.options.threading.agent_addresses = {"p.martin@champignac.example"};
    auto first = t.ingest(t.mail("From: Léa Martin <lea@gmail.example>\nTo: voirie@champignac.example\n"
                                 "Cc: marc@gmail.example\nSubject: Trottoir défoncé\nMessage-ID: <r1@gmail.example>"));
    t.days_later(1);
    auto answer = t.ingest(t.mail(c.headers));
    CHECK(answer.kind == Kind::attach);
    CHECK(answer.reference == first.reference);
    CHECK(answer.matched_by == "reply-to-requester:lea@gmail.example");
    CHECK_FALSE(answer.relance);
  }
}

TEST_CASE("not an answer to the requester: a stranger, no reply prefix, another subject", "[threading]") {
  Town t;
  t.options.threading.agent_addresses = {"p.martin@champignac.example"};
  auto first = t.ingest(t.mail("From: Léa Martin <lea@gmail.example>\nSubject: Trottoir défoncé\nMessage-ID: <x1@gmail.example>"));
  t.days_later(1);
  // Someone who takes no part, writing "RE :" to the requester, does not get into her file.
  CHECK(t.ingest(t.mail("From: inconnu@spam.example\nTo: lea@gmail.example\nSubject: RE : Trottoir défoncé\n"
                        "Message-ID: <x2@spam.example>"))
            .kind == Kind::new_request);
  // An agent's new mail (no reply prefix) on the same subject is a new matter.
  CHECK(t.ingest(t.mail("From: p.martin@champignac.example\nTo: lea@gmail.example\nSubject: Trottoir défoncé\n"
                        "Message-ID: <x3@champignac.example>"))
            .kind == Kind::new_request);
  CHECK(t.ingest(t.mail("From: p.martin@champignac.example\nTo: lea@gmail.example\nSubject: RE : Trottoir rue Foch\n"
                        "Message-ID: <x4@champignac.example>"))
            .kind == Kind::new_request);
  (void)first;
}

TEST_CASE("the same mail resent with a new Message-ID within 24 hours is a duplicate", "[threading]") {
  Town t;
  auto first = t.ingest(t.mail("From: a@x.fr\nSubject: Horaires\nMessage-ID: <r1@x.fr>", "Quels horaires ?\n"));
  t.clock.set(t.clock.now() + 3600);
  auto again = t.ingest(t.mail("From: a@x.fr\nSubject: Horaires\nMessage-ID: <r2@x.fr>", "Quels horaires ?\n"));
  CHECK(again.kind == Kind::duplicate);
  CHECK(again.matched_by == "resent");
  CHECK(again.reference == first.reference);
  CHECK(t.request(first.reference).messages.size() == 1);
}

TEST_CASE("the same mail to urbanisme@ and mairie@ is one request", "[threading]") {
  Town t;
  std::string raw = t.mail("From: a@x.fr\nTo: urbanisme@champignac.example, mairie@champignac.example\n"
                           "Subject: Permis\nMessage-ID: <two@x.fr>");
  auto a = t.ingest(raw, "urbanisme");
  auto a2 = t.ingest("Delivered-To: urbanisme@champignac.example\n" + raw, "urbanisme");
  (void)a2;
  auto b = t.ingest("Delivered-To: Mairie@Champignac.example\n" + raw, "mairie");
  CHECK(b.kind == Kind::duplicate);
  CHECK(b.reference == a.reference);
  auto r = t.request(a.reference);
  REQUIRE(r.messages[0].sources.size() == 3);
  CHECK(r.messages[0].sources[0].recipient.empty());
  CHECK(r.messages[0].sources[1].recipient == "urbanisme@champignac.example");
  CHECK(r.messages[0].sources[2].mailbox == "mairie");
  CHECK(r.messages[0].sources[2].recipient == "mairie@champignac.example");
  CHECK(r.events.back().detail_json.find("\"recipient\":\"mairie@champignac.example\"") != std::string::npos);
  CHECK(t.requests() == 1);
}

TEST_CASE("out of order: a reply fetched before the mail it answers ends in one request", "[threading]") {
  Town t;
  auto reply = t.ingest(t.mail("From: agent@champignac.example\nSubject: RE: Cantine\nMessage-ID: <reply@c.example>\n"
                               "In-Reply-To: <orig@laposte.example>\nReferences: <orig@laposte.example>"));
  CHECK(reply.kind == Kind::new_request);
  auto original = t.ingest(t.mail("From: lucie@laposte.example\nSubject: Cantine\nMessage-ID: <orig@laposte.example>"));
  CHECK(original.kind == Kind::attach);
  CHECK(original.reference == reply.reference);
  CHECK(original.matched_by == "referenced-by-earlier-mail:orig@laposte.example");
  CHECK(t.requests() == 1);
  // A later reply to either finds the same request.
  auto more = t.ingest(t.mail("From: lucie@laposte.example\nSubject: Re: Cantine\nMessage-ID: <more@laposte.example>\n"
                              "In-Reply-To: <orig@laposte.example>"));
  CHECK(more.reference == reply.reference);
}

TEST_CASE("a closed request reopens within the window, later a linked request starts", "[threading]") {
  Town t;
  auto first = t.ingest(t.mail("From: a@x.fr\nSubject: Lampadaire\nMessage-ID: <l1@x.fr>"));
  auto r = t.request(first.reference);
  REQUIRE(t.st.set_status(r.id, store::RequestStatus::closed, t.clock.now()));
  t.days_later(10);
  auto reopen = t.ingest(t.mail("From: a@x.fr\nSubject: Re: Lampadaire\nMessage-ID: <l2@x.fr>\nIn-Reply-To: <l1@x.fr>"));
  CHECK(reopen.kind == Kind::attach);
  CHECK(reopen.reopened);
  CHECK(t.request(first.reference).status == store::RequestStatus::open);
  CHECK(t.request(first.reference).events.back().kind == "reopened");

  REQUIRE(t.st.set_status(r.id, store::RequestStatus::closed, t.clock.now()));
  t.days_later(45);
  auto late = t.ingest(t.mail("From: a@x.fr\nSubject: Re: Lampadaire\nMessage-ID: <l3@x.fr>\nIn-Reply-To: <l2@x.fr>"));
  CHECK(late.kind == Kind::new_request);
  CHECK(late.linked_to == std::optional<std::string>(first.reference));
  CHECK(late.matched_by == "after-close:" + first.reference + " (references:l2@x.fr)");
  CHECK(t.request(first.reference).status == store::RequestStatus::closed);
}

TEST_CASE("dry run decides like the real thing", "[threading]") {
  Town t;
  t.ingest(t.mail("From: a@x.fr\nSubject: Un\nMessage-ID: <d1@x.fr>"));
  auto tx = t.st.transaction();
  REQUIRE(tx);
  engine::IngestOptions opt;
  opt.dry_run = true;
  auto out = engine::ingest(t.st, t.mail("From: a@x.fr\nSubject: Re: Un\nMessage-ID: <d2@x.fr>\nIn-Reply-To: <d1@x.fr>"),
                            store::Source{}, opt, t.clock);
  REQUIRE(out);
  CHECK(out->kind == Kind::attach);
  CHECK(out->matched_by == "references:d1@x.fr");
  REQUIRE(tx->commit());
  CHECK(t.request("2026-000001").messages.size() == 1);
}

TEST_CASE("merge: later mail of either thread, and the old reference, land in the merged request", "[threading][merge]") {
  Town t;
  auto a = t.ingest(t.mail("From: a@x.fr\nSubject: Arbre tombé\nMessage-ID: <t1@x.fr>"));
  auto b = t.ingest(t.mail("From: b@x.fr\nSubject: Branche sur la route\nMessage-ID: <t2@x.fr>"));
  {
    auto tx = t.st.transaction();
    REQUIRE(tx);
    REQUIRE(t.st.merge(t.request(a.reference).id, t.request(b.reference).id, t.clock.now()));
    REQUIRE(tx->commit());
  }
  CHECK(t.request(a.reference).messages.size() == 2);
  CHECK(t.request(b.reference).merged_into == std::optional<std::string>(a.reference));
  CHECK(t.requests() == 1);  // merged requests are not listed
  auto reply = t.ingest(t.mail("From: b@x.fr\nSubject: Re: Branche\nMessage-ID: <t3@x.fr>\nIn-Reply-To: <t2@x.fr>"));
  CHECK(reply.reference == a.reference);
  auto quoted = t.ingest(t.mail("From: b@x.fr\nSubject: [Réf. " + b.reference + "] photos\nMessage-ID: <t4@x.fr>"));
  CHECK(quoted.reference == a.reference);
}

TEST_CASE("split: the message and its replies go to the new request", "[threading][split]") {
  Town t;
  auto a = t.ingest(t.mail("From: a@x.fr\nSubject: Voirie\nMessage-ID: <s1@x.fr>"));
  auto wrong = t.ingest(t.mail("From: a@x.fr\nSubject: Re: Voirie\nMessage-ID: <s2@x.fr>\nIn-Reply-To: <s1@x.fr>",
                               "Autre chose : mon chien a disparu.\n"));
  REQUIRE(wrong.reference == a.reference);
  std::string created;
  {
    auto tx = t.st.transaction();
    REQUIRE(tx);
    auto r = t.request(a.reference);
    auto split = t.st.split(r.messages[1].id, 2026, t.clock.now());
    REQUIRE(split);
    created = *split;
    REQUIRE(tx->commit());
  }
  CHECK(created == "2026-000002");
  CHECK(t.request(a.reference).messages.size() == 1);
  auto fresh = t.request(created);
  CHECK(fresh.linked_to == std::optional<std::string>(a.reference));
  CHECK(fresh.messages.size() == 1);
  auto reply = t.ingest(t.mail("From: a@x.fr\nSubject: Re: chien\nMessage-ID: <s3@x.fr>\nIn-Reply-To: <s2@x.fr>"));
  CHECK(reply.reference == created);
}

TEST_CASE("routing: rules give new requests their department, agent and deemed-decision date", "[routing][ingest]") {
  Town t;
  auto dir = directory::Directory::parse(R"(departments:
  - {id: voirie, name: Voirie, email: v@c.fr, address: CTM, phone: "02", head: chef}
  - {id: accueil, name: Accueil, email: a@c.fr, address: Mairie, phone: "03", head: chef}
agents:
  - {id: a1, first_name: A, last_name: Un, title: T, email: a1@c.fr, departments: [voirie]}
  - {id: a2, first_name: B, last_name: Deux, title: T, email: a2@c.fr, departments: [voirie], absent_until: 2026-11-10}
  - {id: a3, first_name: C, last_name: Trois, title: T, email: a3@c.fr, departments: [voirie]}
  - {id: chef, first_name: D, last_name: Chef, title: T, email: c@c.fr, departments: [accueil]}
)",
                                         "directory.yaml");
  REQUIRE(dir);
  auto rules = routing::RuleSet::parse(R"(- name: voirie
  when: { subject: trottoir }
  then: { department: voirie, agent: round-robin, kind: { silence: rejection, delay: 2 months }, tags: [voirie] }
- name: accueil
  when: always
  then: { department: accueil }
)",
                                       "rules.yaml", *dir, {});
  REQUIRE(rules);
  auto ingest = [&](const std::string& subject, const std::string& id) {
    auto tx = t.st.transaction();
    REQUIRE(tx);
    engine::IngestOptions opt;
    opt.mailbox = "mairie";
    opt.rules = &*rules;
    opt.directory = &*dir;
    auto out = engine::ingest(t.st, t.mail("From: r@x.fr\nSubject: " + subject + "\nMessage-ID: <" + id + ">"),
                              store::Source{"mairie", "test", ""}, opt, t.clock);
    REQUIRE(out);
    REQUIRE(tx->commit());
    return *out;
  };
  // 4 November 2026: a2 is absent, round-robin alternates a1 and a3.
  auto r1 = ingest("Trottoir 1", "r1@x");
  auto r2 = ingest("Trottoir 2", "r2@x");
  auto r3 = ingest("Trottoir 3", "r3@x");
  CHECK(r1.department == std::optional<std::string>("voirie"));
  CHECK(r1.agent == std::optional<std::string>("a1"));
  CHECK(r2.agent == std::optional<std::string>("a3"));
  CHECK(r3.agent == std::optional<std::string>("a1"));
  CHECK(r1.rules == std::vector<std::string>{"voirie"});
  auto req = t.request(r1.reference);
  CHECK(req.department == std::optional<std::string>("voirie"));
  CHECK(req.agent == std::optional<std::string>("a1"));
  CHECK(req.silence == "rejection");
  CHECK(req.delay == std::optional<std::string>("2 mois"));
  CHECK(req.deemed_decision_on == std::optional<std::string>("2027-01-04"));  // 4 January 2027, a Monday
  CHECK(req.tags_json == "[\"voirie\"]");
  // No agent in the rule: the department's head.
  auto other = ingest("Horaires", "h1@x");
  CHECK(other.department == std::optional<std::string>("accueil"));
  CHECK(other.agent == std::optional<std::string>("chef"));
  CHECK(t.request(other.reference).silence == "none");

  // Assignment strategies directly, on 12 November (a2 is back).
  calendar::Date on{2026, 11, 12};
  auto least = engine::choose_agent(t.st, *dir, std::string("least-loaded"), "voirie", on);
  REQUIRE(least);
  CHECK(*least == std::optional<std::string>("a2"));  // no open request yet
  auto fixed_absent = engine::choose_agent(t.st, *dir, std::string("a2"), "voirie", {2026, 11, 4});
  REQUIRE(fixed_absent);
  CHECK(*fixed_absent == std::optional<std::string>("chef"));  // absent, no backup: the head
}

TEST_CASE("a new mail whose text cites the request: its reference in any form", "[threading][citation]") {
  for (const std::string text :
       {"Concernant ma demande n° 2026-1, je n'ai rien reçu.", "Suite à mon dossier 2026-000001 : toujours rien.",
        "Bonjour,\nRéf. 2026-1 : où en est-on ?", "Ma requête numéro 2026/1 est restée sans suite.",
        "Je reviens vers vous pour la demande N°2026-000001."}) {
    INFO(text);
    Town t;
    auto first = t.ingest(t.mail("From: Léa Martin <lea@orange.example>\nSubject: Lampadaire éteint rue Pasteur\n"
                                 "Message-ID: <c1@orange.example>"));
    REQUIRE(first.reference == "2026-000001");
    t.days_later(9);
    auto again = t.ingest(
        t.mail("From: lea@orange.example\nSubject: Toujours rien\nMessage-ID: <c2@orange.example>", text + "\n"));
    CHECK(again.kind == Kind::attach);
    CHECK(again.reference == first.reference);
    CHECK(again.relance);
    CHECK(again.matched_by == "text-reference:2026-000001");
    CHECK(t.requests() == 1);
  }
  // Someone else citing it starts their own request, linked; a date is not a reference.
  Town t;
  auto first = t.ingest(t.mail("From: lea@orange.example\nSubject: Lampadaire\nMessage-ID: <c3@orange.example>"));
  auto stranger = t.ingest(t.mail("From: paul@free.example\nSubject: Moi aussi\nMessage-ID: <c4@free.example>",
                                  "Comme la demande 2026-1 de ma voisine.\n"));
  CHECK(stranger.kind == Kind::new_request);
  CHECK(stranger.linked_to == first.reference);
  auto dated = t.ingest(t.mail("From: lea@orange.example\nSubject: Autre chose\nMessage-ID: <c5@orange.example>",
                               "Mon message 2026/01/03 parlait d'autre chose.\n"));
  CHECK(dated.kind == Kind::new_request);
}

TEST_CASE("a new mail whose text cites the date of the resident's earlier mail", "[threading][citation]") {
  static const char* months[] = {"janvier", "février", "mars",      "avril",   "mai",      "juin",
                                 "juillet", "août",    "septembre", "octobre", "novembre", "décembre"};
  Town t;
  auto first = t.ingest(t.mail("From: Léa Martin <lea@orange.example>\nSubject: Lampadaire éteint rue Pasteur\n"
                               "Message-ID: <d1@orange.example>"));
  const LocalTime sent = local_time(t.request(first.reference).received_at);
  t.days_later(12);
  const std::string day = std::to_string(sent.day);
  char numeric[16];
  std::snprintf(numeric, sizeof numeric, "%02d/%02d", sent.day, sent.month);
  int n = 2;
  for (const std::string& text :
       {"Suite à mon courriel du " + day + " " + months[sent.month - 1] + ", je n'ai pas de réponse.",
        "Je vous ai écrit un mail du " + std::string(numeric) + " resté sans réponse.",
        "Ma demande du " + day + " " + std::string(months[sent.month - 1]).substr(0, 3) + ". " +
            std::to_string(sent.year) + " attend toujours."}) {
    INFO(text);
    // Each under a subject of its own: the same subject twice would be rule 7's relance.
    const std::string id = std::to_string(n++);
    auto again = t.ingest(t.mail("From: lea@orange.example\nSubject: Sans réponse " + id + "\nMessage-ID: <d" + id +
                                     "@orange.example>",
                                 text + "\n"));
    CHECK(again.kind == Kind::attach);
    CHECK(again.reference == first.reference);
    CHECK(again.relance);
    char iso[16];
    std::snprintf(iso, sizeof iso, "%04d-%02d-%02d", sent.year, sent.month, sent.day);
    CHECK(again.matched_by == std::string("text-date:") + iso);
  }
  // A day they did not write on, or a date without "my mail of": a new request.
  auto other_day = t.ingest(t.mail("From: lea@orange.example\nSubject: Encore\nMessage-ID: <d8@orange.example>",
                                   "Mon courriel du " + std::to_string(sent.day % 28 + 1) + " " +
                                       months[sent.month % 12] + " est resté sans suite.\n"));
  CHECK(other_day.kind == Kind::new_request);
  auto meeting = t.ingest(t.mail("From: lea@orange.example\nSubject: Réunion\nMessage-ID: <d9@orange.example>",
                                 "La réunion du " + day + " " + months[sent.month - 1] + " aura lieu.\n"));
  CHECK(meeting.kind == Kind::new_request);
  // Two open requests written that day: which one is not clear, a new request.
  Town two;
  two.ingest(two.mail("From: lea@orange.example\nSubject: Lampadaire\nMessage-ID: <e1@orange.example>"));
  two.ingest(two.mail("From: lea@orange.example\nSubject: Trottoir\nMessage-ID: <e2@orange.example>"));
  const LocalTime both = local_time(two.request("2026-000001").received_at);
  two.days_later(3);
  auto unclear = two.ingest(two.mail("From: lea@orange.example\nSubject: ?\nMessage-ID: <e3@orange.example>",
                                     "Mon courriel du " + std::to_string(both.day) + " " + months[both.month - 1] +
                                         " attend.\n"));
  CHECK(unclear.kind == Kind::new_request);
}
