// Agents answer from their own mail client (engine/agent_mail.h): every answer reaches the
// resident once, is recorded, and is never sent twice; nothing unauthenticated is ever relayed.
#include <catch2/catch.hpp>

#include "tokens/tokens.h"
#include "town.h"

using namespace guichet;
using test::Client;
using test::Town;

namespace {

// A voirie request (Paul Martin in charge), acknowledged and noticed; returns its reference.
std::string voirie_request(Town& t, const std::string& id = "lea-1@example.org") {
  auto out = t.ingest(test::resident_mail(id, "Lampadaire éteint rue des Écoles"));
  REQUIRE(out.action == engine::Action::created);
  REQUIRE(out.agent == std::optional<std::string>("pmartin"));
  return out.reference;
}

std::vector<mail::Message> answers_to(Town& t, const std::string& resident = "lea.martin@example.org") {
  std::vector<mail::Message> out;
  for (const auto& row : t.outbox("answer"))
    if (row.recipient == resident && row.status != store::OutboxStatus::held) out.push_back(t.outbox_message(row.id));
  return out;
}

const char* kAnswer = "Bonjour Madame,\nLe lampadaire sera réparé jeudi 10 décembre.\nCordialement,";

}  // namespace

TEST_CASE("the agent's notice is answerable: a token in Reply-To, the Message-ID and a marker line", "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto n = t.notice(ref, "p.martin@champignac.example");
  REQUIRE(n.reply_to.size() == 1);
  const std::string reply = n.reply_to.front().address;
  CHECK(reply.rfind("voirie+r." + ref + ".pmartin.0.", 0) == 0);
  CHECK(reply.find("@champignac.example") != std::string::npos);
  CHECK(n.message_id.rfind("r." + ref + ".pmartin.0.", 0) == 0);
  CHECK(n.text.find("[guichet r." + ref + ".pmartin.0.") != std::string::npos);
  CHECK(n.text.find("voirie+n." + ref + ".pmartin.0.") != std::string::npos);  // the note address
}

TEST_CASE("an answer composed as Outlook composes it is relayed once, without the notice, signed", "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto n = t.notice(ref, "p.martin@champignac.example");
  auto out = t.ingest(test::agent_reply(n, "Paul Martin <p.martin@champignac.example>", kAnswer, Client::outlook,
                                        "outlook-1@champignac.example"));
  CHECK(out.action == engine::Action::answer_relayed);
  CHECK(out.reference == ref);
  auto sent = answers_to(t);
  REQUIRE(sent.size() == 1);
  const auto& a = sent.front();
  CHECK(a.from.front().address == "voirie@champignac.example");
  CHECK(a.reply_to.front().address == "voirie@champignac.example");
  CHECK(a.subject == "[Réf. " + ref + "] Lampadaire éteint rue des Écoles");
  CHECK(a.in_reply_to == std::vector<std::string>{"lea-1@example.org"});
  REQUIRE_FALSE(a.references.empty());
  CHECK(a.references.front() == "lea-1@example.org");
  CHECK(a.text.find("Le lampadaire sera réparé jeudi 10 décembre.") != std::string::npos);
  // No quoted notice, no token, no command help.
  CHECK(a.text.find("confiée") == std::string::npos);
  CHECK(a.text.find("[guichet") == std::string::npos);
  CHECK(a.text.find("Envoyé :") == std::string::npos);
  // L111-2: first name, last name, title, administrative address.
  CHECK(a.text.find("Paul Martin") != std::string::npos);
  CHECK(a.text.find("Responsable des services techniques") != std::string::npos);
  CHECK(a.text.find("Centre technique municipal, 4 rue des Ateliers") != std::string::npos);
  CHECK(a.auto_submitted_header.empty());  // a person's answer
  auto r = t.request(ref);
  CHECK(r.status == store::RequestStatus::answered);
  CHECK(r.answer_version == 1);
  REQUIRE(r.answers.size() == 1);
  CHECK(r.answers[0].how == "relayed");
  CHECK(r.answers[0].agent == std::optional<std::string>("pmartin"));
  CHECK(r.messages.back().role == "answer");
  // Drained into the real SMTP server: the resident's copy, exactly one.
  t.drain();
  int to_resident = 0;
  for (const auto& raw : t.smtp.received()) {
    auto m = mail::parse(raw);
    if (!m.to.empty() && m.to.front().address == "lea.martin@example.org" && m.auto_submitted_header.empty())
      ++to_resident;
  }
  CHECK(to_resident == 1);
}

TEST_CASE("an answer composed as Thunderbird, and an HTML-only one, are relayed the same way", "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto n = t.notice(ref, "p.martin@champignac.example");
  SECTION("Thunderbird") {
    auto out = t.ingest(test::agent_reply(n, "p.martin@champignac.example", kAnswer, Client::thunderbird, "tb-1@x"));
    CHECK(out.action == engine::Action::answer_relayed);
  }
  SECTION("HTML only: converted to text for the resident, the HTML kept") {
    auto out = t.ingest(test::agent_reply(n, "p.martin@champignac.example", kAnswer, Client::gmail_html, "html-1@x"));
    CHECK(out.action == engine::Action::answer_relayed);
    auto r = t.request(ref);
    CHECK(r.messages.back().has_html);
  }
  auto sent = answers_to(t);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].text.find("Le lampadaire sera réparé jeudi 10 décembre.") != std::string::npos);
  CHECK(sent[0].text.find("a écrit") == std::string::npos);
  CHECK(sent[0].text.find("confiée") == std::string::npos);
}

TEST_CASE("the agent's attachments go with the answer, a 20 MB one too", "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto n = t.notice(ref, "p.martin@champignac.example");
  std::string big(20u << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  std::string b64;
  {
    static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < big.size(); i += 3) {
      unsigned v = static_cast<unsigned char>(big[i]) << 16;
      if (i + 1 < big.size()) v |= static_cast<unsigned char>(big[i + 1]) << 8;
      if (i + 2 < big.size()) v |= static_cast<unsigned char>(big[i + 2]);
      b64 += tbl[(v >> 18) & 63];
      b64 += tbl[(v >> 12) & 63];
      b64 += i + 1 < big.size() ? tbl[(v >> 6) & 63] : '=';
      b64 += i + 2 < big.size() ? tbl[v & 63] : '=';
      if ((i / 3 + 1) % 19 == 0) b64 += "\r\n";
    }
  }
  const std::string reply = "From: p.martin@champignac.example\r\nTo: " + n.reply_to.front().address +
                            "\r\nSubject: Re: " + n.subject + "\r\nMessage-ID: <att-1@x>\r\nMIME-Version: 1.0\r\n"
                            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                            "Voici le plan des travaux.\r\n--b\r\nContent-Type: application/pdf; name=\"plan travaux.pdf\"\r\n"
                            "Content-Disposition: attachment; filename=\"plan travaux.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
                            b64 + "\r\n--b--\r\n";
  auto out = t.ingest(reply);
  REQUIRE(out.action == engine::Action::answer_relayed);
  auto sent = answers_to(t);
  REQUIRE(sent.size() == 1);
  REQUIRE(sent[0].attachments.size() == 1);
  CHECK(sent[0].attachments[0].filename == "plan travaux.pdf");
  CHECK(sent[0].attachments[0].content_type == "application/pdf");
  CHECK(sent[0].attachments[0].content == big);
  CHECK(sent[0].text.find("Voici le plan des travaux.") != std::string::npos);
}

TEST_CASE("a valid token from another sender is never relayed: stored with the reason, the agent told", "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto n = t.notice(ref, "p.martin@champignac.example");
  auto out = t.ingest(test::agent_reply(n, "Faux Martin <p.martin@evil.example>", kAnswer, Client::thunderbird, "forged-1@x"));
  CHECK(out.action == engine::Action::answer_refused);
  CHECK(answers_to(t).empty());
  auto r = t.request(ref);
  CHECK(r.messages.back().role == "refused");
  CHECK(r.status == store::RequestStatus::new_request);
  auto refused = t.events(ref, "answer_refused");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0]["reason"].get<std::string>().find("p.martin@evil.example") != std::string::npos);
  // Paul Martin hears of it, in French.
  bool told = false;
  for (const auto& row : t.outbox("receipt"))
    if (row.recipient == "p.martin@champignac.example")
      told = t.outbox_message(row.id).text.find("n'a pas été transmis") != std::string::npos;
  CHECK(told);
}

TEST_CASE("a token with a bad MAC, and a token for another request, are refused", "[answers]") {
  Town t;
  const auto a = voirie_request(t, "a@example.org");
  const auto b = t.ingest(test::resident_mail("b@example.org", "Trottoir abîmé", "Bob <bob@example.org>")).reference;
  auto na = t.notice(a, "p.martin@champignac.example");
  auto nb = t.notice(b, "p.martin@champignac.example");
  SECTION("bad MAC") {
    std::string raw = test::agent_reply(na, "p.martin@champignac.example", kAnswer, Client::outlook, "badmac@x");
    const std::string good = na.reply_to.front().address;
    std::string bad = good;
    bad[good.find('@') - 1] = bad[good.find('@') - 1] == 'a' ? 'b' : 'a';
    raw.replace(raw.find(good), good.size(), bad);
    auto out = t.ingest(raw);
    CHECK(out.action == engine::Action::answer_refused);
    CHECK(t.events(a, "answer_refused").front()["reason"].get<std::string>().find("authentique") != std::string::npos);
  }
  SECTION("the token of A on a reply to B's mail") {
    // Thunderbird's In-Reply-To names B's notice; the To names A's token.
    std::string raw = test::agent_reply(nb, "p.martin@champignac.example", kAnswer, Client::thunderbird, "cross@x");
    const std::string to_b = nb.reply_to.front().address, to_a = na.reply_to.front().address;
    raw.replace(raw.find(to_b), to_b.size(), to_a);
    // B's own token stays in In-Reply-To: two tokens, the first authentic one (A) decides, and
    // the mail's thread is B.
    auto out = t.ingest(raw);
    CHECK(out.action == engine::Action::answer_refused);
  }
  CHECK(answers_to(t).empty());
  CHECK(answers_to(t, "bob@example.org").empty());
}

TEST_CASE("a forged agent From without a token is a resident's mail: nothing relayed, commands stay text",
          "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto out = t.ingest(test::resident_mail("forged-2@example.org", "Re: [Réf. " + ref + "] Lampadaire éteint rue des Écoles",
                                          "Paul Martin <p.martin@champignac.example>", "voirie@champignac.example",
                                          "In-Reply-To: <lea-1@example.org>\r\n",
                                          "Service : urbanisme\r\nStatut : clos\r\nC'est réglé.\r\n"));
  CHECK(out.action == engine::Action::attached);
  auto r = t.request(ref);
  CHECK(r.department == std::optional<std::string>("voirie"));
  CHECK(r.status != store::RequestStatus::closed);
  CHECK(answers_to(t).empty());
  CHECK(r.messages.back().text.find("Service : urbanisme") != std::string::npos);
}

TEST_CASE("a reply with only the quote is not sent, the agent is told", "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto n = t.notice(ref, "p.martin@champignac.example");
  auto out = t.ingest(test::agent_reply(n, "p.martin@champignac.example", "", Client::thunderbird, "empty-1@x"));
  CHECK(out.action == engine::Action::answer_empty);
  CHECK(answers_to(t).empty());
  CHECK(t.request(ref).status == store::RequestStatus::new_request);
  bool told = false;
  for (const auto& row : t.outbox("receipt"))
    told = told || t.outbox_message(row.id).text.find("ni texte ni commande") != std::string::npos;
  CHECK(told);
}

TEST_CASE("the agent's out-of-office answering a notice is never relayed", "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto n = t.notice(ref, "p.martin@champignac.example");
  auto out = t.ingest(test::agent_reply(n, "p.martin@champignac.example", "Je suis absent jusqu'au 7 décembre.",
                                        Client::outlook, "oof-1@x", "Auto-Submitted: auto-replied\r\n"));
  CHECK(out.action == engine::Action::machine);
  CHECK(answers_to(t).empty());
  CHECK(t.outbox("receipt").empty());  // no mail answers a machine
  CHECK(t.request(ref).messages.back().role == "machine");
}

TEST_CASE("a display name with CR/LF in the agent's From reaches no header", "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto n = t.notice(ref, "p.martin@champignac.example");
  std::string raw = test::agent_reply(n, "\"Paul\r\n Bcc: victim@evil.example\" <p.martin@champignac.example>", kAnswer,
                                      Client::thunderbird, "crlf-1@x");
  auto out = t.ingest(raw);
  CHECK(out.action == engine::Action::answer_relayed);
  for (const auto& row : t.outbox()) {
    const std::string msg = t.outbox_raw(row.id);
    const std::string headers = msg.substr(0, msg.find("\r\n\r\n"));
    CHECK(headers.find("\r\nBcc:") == std::string::npos);
  }
}

TEST_CASE("the resident's reply to the relayed answer lands in the request, status open", "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto n = t.notice(ref, "p.martin@champignac.example");
  t.ingest(test::agent_reply(n, "p.martin@champignac.example", kAnswer, Client::outlook, "ans-1@x"));
  auto sent = answers_to(t);
  REQUIRE(sent.size() == 1);
  auto back = t.ingest(test::resident_mail("lea-2@example.org", "Re: " + sent[0].subject, "Léa Martin <lea.martin@example.org>",
                                           "voirie@champignac.example", "In-Reply-To: <" + sent[0].message_id + ">\r\n",
                                           "Merci, mais ce sera trop tard.\r\n"));
  CHECK(back.action == engine::Action::attached);
  CHECK(back.reference == ref);
  CHECK(t.request(ref).status == store::RequestStatus::open);
}

TEST_CASE("two agents answering at once: the first is relayed, the second held, ENVOYER sends it", "[answers]") {
  Town t;
  // Urbanisme: Marie Dupont (head) and Théo Faure; round-robin gives the request to one of them.
  auto created = t.ingest(test::resident_mail("ub-1@example.org", "Déclaration préalable pour une clôture",
                                              "Léa Martin <lea.martin@example.org>", "urbanisme@champignac.example"),
                          "urbanisme");
  const std::string ref = created.reference;
  REQUIRE(created.agent);
  // Two answers written from the same notice (the token carries version 0): the agent and a
  // colleague at the same desk, or the agent twice from two devices.
  const std::string owner_email = *created.agent == "mdupont" ? "m.dupont@champignac.example" : "t.faure@champignac.example";
  auto notice = t.notice(ref, owner_email);
  const std::string first = test::agent_reply(notice, owner_email, "Première réponse : dossier complet.", Client::outlook, "first@x");
  std::string second = test::agent_reply(notice, owner_email, "Seconde réponse : il manque un plan.", Client::outlook, "second@x");
  auto one = t.ingest(first);
  auto two = t.ingest(second);
  CHECK(one.action == engine::Action::answer_relayed);
  CHECK(two.action == engine::Action::answer_held);
  auto queued = answers_to(t);
  REQUIRE(queued.size() == 1);
  CHECK(queued[0].text.find("Première réponse") != std::string::npos);
  auto held = t.outbox("answer");
  REQUIRE(held.size() == 2);
  CHECK(held[1].status == store::OutboxStatus::held);
  // The author of the held answer got the colleague's answer and a way to send theirs.
  std::optional<mail::Message> told;
  for (const auto& row : t.outbox("receipt"))
    if (t.outbox_message(row.id).text.find("ENVOYER") != std::string::npos) told = t.outbox_message(row.id);
  REQUIRE(told);
  CHECK(told->text.find("Première réponse") != std::string::npos);
  CHECK(told->reply_to.front().address.find("+s." + ref + ".") != std::string::npos);
  // "ENVOYER": the held answer goes.
  auto send = t.ingest("From: " + owner_email + "\r\nTo: " + told->reply_to.front().address + "\r\nSubject: Re: " +
                       told->subject + "\r\nMessage-ID: <envoyer@x>\r\nIn-Reply-To: <" + told->message_id +
                       ">\r\n\r\nENVOYER\r\n\r\nLe 03/12/2026, guichet a écrit :\r\n> Votre réponse...\r\n");
  CHECK(send.action == engine::Action::answer_released);
  auto rows = t.outbox("answer");
  CHECK(rows[1].status == store::OutboxStatus::queued);
  CHECK(t.request(ref).answer_version == 2);
  // A second ENVOYER does nothing more.
  auto again = t.ingest("From: " + owner_email + "\r\nTo: " + told->reply_to.front().address +
                        "\r\nSubject: Re: x\r\nMessage-ID: <envoyer-2@x>\r\n\r\nENVOYER\r\n");
  CHECK(again.action == engine::Action::commands);
  CHECK(t.request(ref).answer_version == 2);
}

TEST_CASE("an answer sent around guichet, the shared address in Cc, is recorded and nothing is sent", "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto out = t.ingest(test::resident_mail("direct-1@champignac.example", "Re: Lampadaire éteint rue des Écoles",
                                          "Paul Martin <p.martin@champignac.example>",
                                          "lea.martin@example.org\r\nCc: voirie@champignac.example",
                                          "In-Reply-To: <lea-1@example.org>\r\n", "Madame, c'est noté.\r\n"));
  CHECK(out.action == engine::Action::answer_recorded);
  CHECK(answers_to(t).empty());
  auto r = t.request(ref);
  CHECK(r.status == store::RequestStatus::answered);
  REQUIRE(r.answers.size() == 1);
  CHECK(r.answers[0].how == "direct");
}

TEST_CASE("the Sent folder: guichet's own mail skipped, an answer recorded, the rest ignored", "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto opt = t.options("voirie");
  opt.sent_folder = true;
  auto sent_ingest = [&](const std::string& raw) {
    auto tx = t.st->transaction();
    REQUIRE(tx);
    auto out = engine::ingest(*t.st, raw, store::Source{"voirie:Sent", "s", ""}, opt, t.clock);
    REQUIRE(out);
    REQUIRE(tx->commit());
    return *out;
  };
  const auto ack = t.outbox("acknowledgement").front();
  CHECK(sent_ingest(t.outbox_raw(ack.id)).action == engine::Action::skipped);
  auto answer = sent_ingest(test::resident_mail("sent-1@champignac.example", "RE: Lampadaire éteint rue des Écoles",
                                                "Services techniques <voirie@champignac.example>", "lea.martin@example.org",
                                                "In-Reply-To: <lea-1@example.org>\r\n", "Madame, c'est réparé.\r\n"));
  CHECK(answer.action == engine::Action::answer_recorded);
  CHECK(t.request(ref).answers.at(0).how == "sent-folder");
  auto other = sent_ingest(test::resident_mail("sent-2@champignac.example", "Commande de fournitures",
                                               "voirie@champignac.example", "fournisseur@example.com"));
  CHECK(other.action == engine::Action::skipped);
  auto all = t.st->requests();
  REQUIRE(all);
  CHECK(all->size() == 1);
}

TEST_CASE("a token for a request that does not exist keeps the mail apart", "[answers]") {
  Town t;
  const auto ref = voirie_request(t);
  auto n = t.notice(ref, "p.martin@champignac.example");
  // Forge a valid token for a request that does not exist, with the town's own key.
  auto opt = t.options();
  tokens::Token ghost{tokens::Kind::answer, "2026-009999", "pmartin", 0};
  std::string raw = test::agent_reply(n, "p.martin@champignac.example", kAnswer, Client::outlook, "ghost@x");
  const std::string good = n.reply_to.front().address;
  raw.replace(raw.find(good), good.size(), tokens::reply_address("voirie@champignac.example", '+', ghost, opt.agents.token_key));
  auto out = t.ingest(raw);
  CHECK(out.action == engine::Action::answer_refused);
  CHECK(out.reference.rfind("M2026-", 0) == 0);
  store::ListFilter f;
  f.kind = store::RequestKind::machine;
  auto machine = t.st->requests(f);
  REQUIRE(machine);
  CHECK(machine->size() == 1);
  CHECK(answers_to(t).empty());
}

TEST_CASE("with trusted_authserv_id, the town's server must have passed SPF or DKIM for the agent", "[answers]") {
  Town t("trusted_authserv_id: mx.champignac.example\n");
  const auto ref = voirie_request(t);
  auto n = t.notice(ref, "p.martin@champignac.example");
  SECTION("passing") {
    auto out = t.ingest(test::agent_reply(
        n, "p.martin@champignac.example", kAnswer, Client::outlook, "ar-1@x",
        "Authentication-Results: mx.champignac.example; spf=pass smtp.mailfrom=p.martin@champignac.example; dkim=none\r\n"));
    CHECK(out.action == engine::Action::answer_relayed);
  }
  SECTION("failing, or another server's word") {
    auto fail = t.ingest(test::agent_reply(
        n, "p.martin@champignac.example", kAnswer, Client::outlook, "ar-2@x",
        "Authentication-Results: mx.champignac.example; spf=fail smtp.mailfrom=p.martin@champignac.example\r\n"));
    CHECK(fail.action == engine::Action::answer_refused);
    auto other = t.ingest(test::agent_reply(
        n, "p.martin@champignac.example", kAnswer, Client::outlook, "ar-3@x",
        "Authentication-Results: mx.evil.example; spf=pass smtp.mailfrom=p.martin@champignac.example\r\n"));
    CHECK(other.action == engine::Action::answer_refused);
    CHECK(answers_to(t).empty());
  }
}
