// Agents steer a request by mail (engine/actions.h): transfer, missing pieces, procedure, notes,
// status, priority; every command answered by a receipt, all or nothing, only by those allowed.
#include <catch2/catch.hpp>

#include "engine/actions.h"
#include "town.h"

using namespace guichet;
using test::Client;
using test::Town;

namespace {

std::string receipt_text(Town& t, const std::string& to) {
  std::string last;
  for (const auto& row : t.outbox("receipt"))
    if (row.recipient == to) last = t.outbox_message(row.id).text;
  return last;
}

}  // namespace

TEST_CASE("Service : voirie transfers a request in one gesture: owner, clocks, the resident told by voirie",
          "[commands]") {
  Town t;
  // A pothole reported to the urbanisme address: the rules give it to urbanisme.
  auto created = t.ingest(test::resident_mail("pot-1@example.org", "Déclaration préalable et un trou dans la rue",
                                              "Léa Martin <lea.martin@example.org>", "urbanisme@champignac.example"),
                          "urbanisme");
  const std::string ref = created.reference;
  REQUIRE(created.department == std::optional<std::string>("urbanisme"));
  const auto before = t.request(ref);
  const std::string owner = *created.agent == "mdupont" ? "m.dupont@champignac.example" : "t.faure@champignac.example";
  auto n = t.notice(ref, owner);
  t.days_later(1);
  auto out = t.ingest(test::agent_reply(n, owner, "Service : voirie", Client::outlook, "tr-1@x"), "urbanisme");
  CHECK(out.action == engine::Action::commands);
  auto r = t.request(ref);
  CHECK(r.department == std::optional<std::string>("voirie"));
  CHECK(r.agent == std::optional<std::string>("pmartin"));  // as the voirie rule assigns
  // L114-3: the acceptance clock restarts at the competent service; the rejection clock does not.
  CHECK(*r.competent_since == t.clock.now());
  CHECK(r.received_at == before.received_at);
  REQUIRE(t.events(ref, "transferred").size() == 1);
  CHECK(t.events(ref, "transferred")[0]["from"] == "urbanisme");
  // The resident: one notice, from voirie's address, naming the new service and agent.
  auto notices = t.outbox("transfer", r.id);
  REQUIRE(notices.size() == 1);
  auto m = t.outbox_message(notices[0].id);
  CHECK(m.from.front().address == "voirie@champignac.example");
  CHECK(m.to.front().address == "lea.martin@example.org");
  CHECK(m.subject.find("[Réf. " + ref + "]") == 0);
  CHECK(m.text.find("Services techniques, voirie") != std::string::npos);
  CHECK(m.text.find("Paul Martin") != std::string::npos);
  CHECK(m.text.find("L. 114-2") != std::string::npos);
  CHECK(m.in_reply_to == std::vector<std::string>{"pot-1@example.org"});
  // The unbroken chain: the resident's mail and our acknowledgement.
  CHECK(m.references.size() >= 2);
  // The new agent is told, with tokens of their own; the agent who sent the command has a receipt.
  auto pn = t.notice(ref, "p.martin@champignac.example");
  CHECK(pn.reply_to.front().address.find("+r." + ref + ".pmartin.") != std::string::npos);
  const std::string rc = receipt_text(t, owner);
  CHECK(rc.find("Service : voirie") != std::string::npos);
  CHECK(rc.find("fait : demande transférée au service Services techniques, voirie") != std::string::npos);
  // Commands only: nothing else to the resident. Mail to the old address still lands in it.
  CHECK(t.outbox("answer").empty());
  auto again = t.ingest(test::resident_mail("pot-2@example.org", "Re: [Réf. " + ref + "] Déclaration préalable",
                                            "Léa Martin <lea.martin@example.org>", "urbanisme@champignac.example"),
                        "urbanisme");
  CHECK(again.reference == ref);
}

TEST_CASE("a registration receipt, then Procédure : rejet 2 mois sends the full acknowledgement with its date",
          "[commands]") {
  Town t;
  auto created = t.ingest(test::resident_mail("q-1@example.org", "Une question", "Léa Martin <lea.martin@example.org>",
                                              "mairie@champignac.example"),
                          "mairie");
  const std::string ref = created.reference;
  auto r = t.request(ref);
  REQUIRE(r.silence == "none");
  CHECK_FALSE(r.full_ack_at);
  auto n = t.notice(ref, "c.garnier@champignac.example");
  auto out = t.ingest(test::agent_reply(n, "c.garnier@champignac.example", "Procédure : rejet 2 mois", Client::thunderbird,
                                        "proc-1@x"),
                      "mairie");
  CHECK(out.action == engine::Action::commands);
  r = t.request(ref);
  CHECK(r.silence == "rejection");
  CHECK(r.delay == std::optional<std::string>("2 mois"));
  // Received Thursday 3 December 2026 → 3 February 2027, a Wednesday.
  CHECK(r.deemed_decision_on == std::optional<std::string>("2027-02-03"));
  CHECK(r.full_ack_at);
  auto full = t.outbox("full_acknowledgement", r.id);
  REQUIRE(full.size() == 1);
  auto m = t.outbox_message(full[0].id);
  CHECK(m.text.find("réputée rejetée le 3 février 2027") != std::string::npos);
  CHECK(m.text.find("tribunal administratif") != std::string::npos);
  CHECK(receipt_text(t, "c.garnier@champignac.example").find("accusé de réception complet est envoyé") != std::string::npos);
  CHECK(t.outbox("answer").empty());  // commands only: nothing else to the resident
}

TEST_CASE("Pièces manquantes suspends the clock, the resident's mail with the pieces restarts it", "[commands]") {
  Town t;
  auto created = t.ingest(test::resident_mail("dp-1@example.org", "Déclaration préalable pour une clôture",
                                              "Léa Martin <lea.martin@example.org>", "urbanisme@champignac.example"),
                          "urbanisme");
  const std::string ref = created.reference;
  auto r = t.request(ref);
  REQUIRE(r.silence == "none");  // the rules leave town planning to the agent
  const std::string owner = *created.agent == "mdupont" ? "m.dupont@champignac.example" : "t.faure@champignac.example";
  auto n = t.notice(ref, owner);
  // The procedure first, then what is missing: one mail, in the order the agent wrote it.
  t.ingest(test::agent_reply(n, owner,
                             "Procédure : acceptation 2 mois\nPièces manquantes :\n- plan de situation\n"
                             "- photographie du terrain",
                             Client::outlook, "pm-1@x"),
           "urbanisme");
  r = t.request(ref);
  CHECK(r.status == store::RequestStatus::waiting);
  CHECK(r.missing == std::vector<std::string>{"plan de situation", "photographie du terrain"});
  CHECK(r.suspended_since);
  CHECK_FALSE(r.deemed_decision_on);  // no date while the pieces are missing
  CHECK(r.missing_deadline == std::optional<std::string>("2027-01-04"));  // 1 month, 3 Jan 2027 is a Sunday
  CHECK(t.outbox("full_acknowledgement", r.id).empty());  // the missing-pieces notice is the full one
  auto notice = t.outbox("missing_pieces", r.id);
  REQUIRE(notice.size() == 1);
  auto m = t.outbox_message(notice[0].id);
  CHECK(m.text.find("- plan de situation") != std::string::npos);
  CHECK(m.text.find("avant le 4 janvier 2027") != std::string::npos);
  CHECK(m.text.find("réputée acceptée 2 mois après la réception des pièces manquantes") != std::string::npos);
  // Ten days later the resident sends the pieces: acceptance runs two months from that day.
  t.days_later(10);
  t.ingest(test::resident_mail("dp-2@example.org", "Re: [Réf. " + ref + "] Déclaration préalable pour une clôture",
                               "Léa Martin <lea.martin@example.org>", "urbanisme@champignac.example",
                               "In-Reply-To: <dp-1@example.org>\r\n", "Voici le plan et la photo.\r\n"),
           "urbanisme");
  r = t.request(ref);
  CHECK(r.status == store::RequestStatus::open);
  CHECK_FALSE(r.suspended_since);
  CHECK(r.missing.empty());
  CHECK(r.deemed_decision_on == std::optional<std::string>("2027-02-15"));  // 13 Feb 2027 is a Saturday
  CHECK(t.events(ref, "pieces_received").size() == 1);
}

TEST_CASE("commands that must not apply: each refused with the reason, nothing half-applied", "[commands]") {
  Town t;
  const auto ref = t.ingest(test::resident_mail("c-1@example.org", "Lampadaire éteint")).reference;
  auto n = t.notice(ref, "p.martin@champignac.example");
  int id = 0;
  auto send = [&](const std::string& body, const std::string& from = "p.martin@champignac.example") {
    return t.ingest(test::agent_reply(n, from, body, Client::outlook, "cmd-" + std::to_string(++id) + "@x"));
  };
  SECTION("Service : inconnu, with a valid one beside it") {
    auto out = send("Priorité : haute\nService : inconnu\n\nBonjour Madame.");
    CHECK(out.action == engine::Action::commands);
    auto r = t.request(ref);
    CHECK(r.priority == "normal");  // the valid line did not apply either
    CHECK(r.department == std::optional<std::string>("voirie"));
    const std::string rc = receipt_text(t, "p.martin@champignac.example");
    CHECK(rc.find("refusé : service inconnu « inconnu ». Services : accueil, urbanisme") != std::string::npos);
    CHECK(rc.find("Votre réponse n'a pas été transmise") != std::string::npos);
    CHECK(t.outbox("answer").empty());
  }
  SECTION("two Service lines") {
    send("Service : urbanisme\nService : enfance");
    CHECK(receipt_text(t, "p.martin@champignac.example").find("une seule ligne « Service »") != std::string::npos);
    CHECK(t.request(ref).department == std::optional<std::string>("voirie"));
  }
  SECTION("a transfer to the current service, closing a closed request") {
    send("Service : voirie");
    CHECK(receipt_text(t, "p.martin@champignac.example").find("déjà au service") != std::string::npos);
    send("Statut : clos");
    CHECK(t.request(ref).status == store::RequestStatus::closed);
    send("Statut : clos");
    CHECK(receipt_text(t, "p.martin@champignac.example").find("déjà close") != std::string::npos);
  }
  SECTION("missing pieces on a request whose silence means nothing") {
    const auto q = t.ingest(test::resident_mail("c-2@example.org", "Une question", "Bob <bob@example.org>",
                                                "mairie@champignac.example"),
                            "mairie");
    auto nq = t.notice(q.reference, "c.garnier@champignac.example");
    t.ingest(test::agent_reply(nq, "c.garnier@champignac.example", "Pièces manquantes : justificatif", Client::outlook, "c2@x"),
             "mairie");
    CHECK(receipt_text(t, "c.garnier@champignac.example").find("indiquez d'abord la procédure") != std::string::npos);
    CHECK(t.request(q.reference).missing.empty());
  }
  SECTION("an agent of another service may not steer it") {
    // Claire Garnier (accueil) writing with Paul Martin's token: not from the agent it names.
    auto out = send("Statut : clos", "c.garnier@champignac.example");
    CHECK(out.action == engine::Action::answer_refused);
    CHECK(t.request(ref).status != store::RequestStatus::closed);
  }
  SECTION("a command after the first text line stays text (and is relayed as such)") {
    auto out = send("Bonjour Madame,\nStatut : clos\n");
    CHECK(out.action == engine::Action::answer_relayed);
    CHECK(t.request(ref).status == store::RequestStatus::answered);
  }
  SECTION("commands in an HTML-only mail") {
    auto out = t.ingest(test::agent_reply(n, "p.martin@champignac.example", "Priorité : urgente\n\nNous passons demain.",
                                          Client::gmail_html, "html-cmd@x"));
    CHECK(out.action == engine::Action::answer_relayed);
    CHECK(t.request(ref).priority == "urgent");
  }
  SECTION("a command mail replayed twice: the second is a duplicate, nothing applies twice") {
    const std::string raw = test::agent_reply(n, "p.martin@champignac.example", "Note : vu avec le prestataire",
                                              Client::outlook, "replay@x");
    t.ingest(raw);
    auto second = t.ingest(raw);
    CHECK(second.action == engine::Action::duplicate);
    CHECK(t.events(ref, "note").size() == 1);
  }
}

TEST_CASE("a command from a resident changes nothing and stays text", "[commands]") {
  Town t;
  const auto ref = t.ingest(test::resident_mail("res-1@example.org", "Lampadaire éteint")).reference;
  t.ingest(test::resident_mail("res-2@example.org", "Re: [Réf. " + ref + "] Lampadaire éteint",
                               "Léa Martin <lea.martin@example.org>", "voirie@champignac.example",
                               "In-Reply-To: <res-1@example.org>\r\n", "Statut : clos\r\nPriorité : urgente\r\n"));
  auto r = t.request(ref);
  CHECK(r.status != store::RequestStatus::closed);
  CHECK(r.priority == "normal");
}

TEST_CASE("an internal note by mail is recorded, shown to agents, never sent to the resident", "[commands]") {
  Town t;
  const auto ref = t.ingest(test::resident_mail("note-1@example.org", "Lampadaire éteint")).reference;
  auto n = t.notice(ref, "p.martin@champignac.example");
  // The note address is in the notice; "Répondre à tous" never makes a note public.
  const std::string text = n.text;
  const size_t at = text.find("voirie+n.");
  REQUIRE(at != std::string::npos);
  const std::string note_address = text.substr(at, text.find_first_of(" \n", at) - at);
  auto out = t.ingest("From: p.martin@champignac.example\r\nTo: " + note_address +
                      "\r\nSubject: note\r\nMessage-ID: <note-mail@x>\r\n\r\nLe prestataire passe lundi.\r\n");
  CHECK(out.action == engine::Action::note);
  auto notes = t.events(ref, "note");
  REQUIRE(notes.size() == 1);
  CHECK(notes[0]["text"] == "Le prestataire passe lundi.");
  CHECK(t.request(ref).messages.back().role == "note");
  CHECK(t.outbox("answer").empty());
  CHECK(t.request(ref).status == store::RequestStatus::new_request);
}

TEST_CASE("the pilot service steers every request, a head their department's", "[commands]") {
  Town t;
  const auto ref = t.ingest(test::resident_mail("pilot-1@example.org", "Lampadaire éteint")).reference;
  auto r = t.request(ref);
  auto opt = t.options();
  engine::Actor dgs{t.setup->directory->agent("vdurand"), "vdurand", false};
  engine::Actor other{t.setup->directory->agent("lbernard"), "lbernard", false};
  auto tx = t.st->transaction();
  REQUIRE(tx);
  auto refused = engine::apply_one(*t.st, engine::CommandKey::priority, "haute", r, other, opt, t.clock.now());
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message.find("vous ne pouvez agir que sur les demandes de vos services") != std::string::npos);
  auto done = engine::apply_one(*t.st, engine::CommandKey::priority, "haute", r, dgs, opt, t.clock.now());
  REQUIRE(done);
  REQUIRE(tx->commit());
  CHECK(t.request(ref).priority == "high");
}
