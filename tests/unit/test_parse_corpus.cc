// The corpus in tests/data/mail (see its README): what each real-client mail must decode to.
#include <catch2/catch.hpp>

#include "helpers.h"
#include "mail/date.h"
#include "mail/charset.h"
#include "mail/parse.h"

using guichet::mail::Message;
using guichet::mail::parse;
using guichet::test::corpus;

using guichet::test::has_problem;

TEST_CASE("Outlook: windows-1252 labelled iso-8859-1, QP, CRLF, Thread-Index", "[corpus]") {
  Message m = parse(corpus("outlook-windows1252.eml"));
  CHECK(m.message_id == "PR1P264MB1234ABCD5678@PR1P264MB1234.FRAP264.PROD.OUTLOOK.COM");
  CHECK(m.subject == "RE : Trottoir abîmé rue des Écoles");
  REQUIRE(m.from.size() == 1);
  CHECK(m.from[0].name == "François Léger");
  CHECK(m.from[0].address == "francois.leger@example.fr");
  CHECK(m.to[0].name == "Voirie");
  CHECK(m.in_reply_to == std::vector<std::string>{"guichet-ack-1@champignac.example"});
  CHECK(m.references == std::vector<std::string>{"first@example.fr", "guichet-ack-1@champignac.example"});
  CHECK(m.thread_index == "AdmxK3v5Qe1VXyZ0TkSnUe6Y8dh3Aw==");
  CHECK(m.thread_topic == "Trottoir abîmé rue des Écoles");
  CHECK(guichet::mail::format_rfc3339(*m.date) == "2026-11-03T13:05:02Z");
  // multipart/alternative: the text/plain part wins, and cp1252 ’ and € come out right.
  CHECK(m.text.find("c’est dangereux") != std::string::npos);
  CHECK(m.text.find("300 €") != std::string::npos);
  CHECK(m.text.find('\r') == std::string::npos);
  REQUIRE(m.html);
  CHECK(m.html->find("<p>Bonjour Madame,</p>") != std::string::npos);
  CHECK(m.attachments.empty());
  CHECK_FALSE(m.auto_submitted);
  CHECK(m.problems.empty());
  REQUIRE(m.received.size() == 1);
}

TEST_CASE("Gmail: base64 UTF-8 text, RFC 2047 filename, Cc", "[corpus]") {
  Message m = parse(corpus("gmail-utf8-attachment.eml"));
  CHECK(m.subject == "Demande d'acte de naissance");
  CHECK(m.from[0].name == "Amélie Martin");
  REQUIRE(m.cc.size() == 1);
  CHECK(m.cc[0].address == "paul.martin@gmail.example");
  CHECK(m.text.rfind("Bonjour,\n\nVeuillez trouver ci-joint", 0) == 0);
  CHECK(m.text.find("mon fils Zoé.") != std::string::npos);
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].filename == "demande_acte_né.pdf");
  CHECK(m.attachments[0].content_type == "application/pdf");
  CHECK(m.attachments[0].size == 5136);
  CHECK(m.attachments[0].content.rfind("%PDF-1.4", 0) == 0);
  CHECK(m.attachments[0].sha256.size() == 64);
  CHECK(m.problems.empty());
}

TEST_CASE("Thunderbird: format=flowed and RFC 2231 continuations", "[corpus]") {
  Message m = parse(corpus("thunderbird-flowed-rfc2231.eml"));
  CHECK(m.subject == "Inscription cantine et périscolaire");
  // The soft line break after "pour " is joined back; the signature separator stays.
  CHECK(m.text.find("pour l'année 2026-2027.") != std::string::npos);
  CHECK(m.text.find("\n-- \nCélia Rousseau") != std::string::npos);
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].filename == "formulaire_inscription_périscolaire_année_2026-2027.odt");
  CHECK(m.attachments[0].content_type == "application/vnd.oasis.opendocument.text");
  CHECK(m.attachments[0].size == 5000);
}

TEST_CASE("Apple Mail: split multi-byte encoded word, text around an inline image", "[corpus]") {
  Message m = parse(corpus("apple-mail-inline-image.eml"));
  CHECK(m.message_id == "A1B2C3D4-E5F6-4789-ABCD-0123456789AB@icloud.example");
  CHECK(m.subject == "Dépôt sauvage derrière le gymnase");
  CHECK(m.text == "Bonjour,\n\nEncore des déchets déposés derrière le gymnase ce matin :\n\nMerci de faire le necessaire.\nRenee");
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].filename == "IMG_0042.jpeg");
  CHECK(m.attachments[0].content_type == "image/jpeg");
  CHECK(m.attachments[0].size == 3000);
}

TEST_CASE("French webmails: raw 8-bit headers in UTF-8 and in latin-1", "[corpus]") {
  Message utf = parse(corpus("webmail-8bit-utf8-headers.eml"));
  CHECK(utf.subject == "Bruit du bar après minuit — encore !");
  CHECK(utf.from[0].name == "Gérard Lefèvre");
  CHECK(utf.text == "Bonjour, le bar « Chez Léon » fait du bruit après minuit tous les week-ends.\n");
  Message latin = parse(corpus("webmail-8bit-latin1-headers.eml"));
  CHECK(latin.subject == "Concession n° 42 : renouvellement");
  CHECK(latin.from[0].name == "Hélène Brûlé");
  CHECK(latin.text == "Je souhaite renouveler la concession de ma grand-mère, échue en 2026.\n");
  CHECK(has_problem(latin, "unlabelled 8-bit text decoded as windows-1252"));
}

TEST_CASE("La Poste webmail: HTML only becomes readable text", "[corpus]") {
  Message m = parse(corpus("laposte-html-only.eml"));
  CHECK(m.text ==
        "Bonjour Monsieur le Maire,\n\nJe souhaite signaler :\n\n- un lampadaire éteint rue Pasteur ;\n"
        "- un nid-de-poule avenue Jean-Jaurès.\n\nPlan : voir la carte <https://carte.example/pasteur>\n"
        "Merci & bonne journée,\nLucie Moreau\n\n© La Poste");
  REQUIRE(m.html);
  CHECK(m.html->find("<script>") != std::string::npos);
  CHECK(m.text.find("alert") == std::string::npos);
}

TEST_CASE("malformed mail is decoded as far as possible and says what is wrong", "[corpus][malformed]") {
  SECTION("truncated base64") {
    Message m = parse(corpus("truncated-base64.eml"));
    CHECK(m.text == "Voici les plans.");
    REQUIRE(m.attachments.size() == 1);
    CHECK(m.attachments[0].filename == "plans.pdf");
    CHECK(m.attachments[0].content.rfind("%PDF-1.4", 0) == 0);
    CHECK(has_problem(m, "base64 body is truncated"));
  }
  SECTION("missing closing boundary") {
    Message m = parse(corpus("missing-closing-boundary.eml"));
    CHECK(m.text == "Bonjour, je voudrais réserver la salle des fêtes le 12 décembre.\n");
    CHECK(has_problem(m, "no closing boundary"));
  }
  SECTION("unknown charset") {
    Message m = parse(corpus("unknown-charset.eml"));
    CHECK(m.subject == "Qaplaé");
    CHECK(m.text == "J'ai trouvé un portefeuille.\n");
    CHECK(has_problem(m, "unknown charset \"x-klingon\""));
  }
  SECTION("no Message-ID: none is invented") {
    Message m = parse(corpus("no-message-id.eml"));
    CHECK(m.message_id.empty());
    CHECK(has_problem(m, "no Message-ID"));
    CHECK(m.from[0].address == "anonyme@example.fr");
  }
  SECTION("duplicated headers: the first one counts") {
    Message m = parse(corpus("duplicated-headers.eml"));
    CHECK(m.subject == "Premier sujet");
    REQUIRE(m.from.size() == 1);
    CHECK(m.from[0].address == "premier@example.fr");
    CHECK(has_problem(m, "duplicated header subject"));
  }
  SECTION("mislabelled charset") {
    Message m = parse(corpus("mislabelled-utf8-as-latin1.eml"));
    CHECK(m.text == "Le marché de Noël aura-t-il lieu place de l'Église ?\n");
    CHECK(has_problem(m, "is UTF-8; decoded as UTF-8"));
  }
}

TEST_CASE("encoded words, quoted names, comments and Reply-To", "[corpus]") {
  Message m = parse(corpus("encoded-words-edge.eml"));
  CHECK(m.subject == "Café et thé =?bogus?X?zz?= plain fin");
  REQUIRE(m.from.size() == 2);
  CHECK(m.from[0].name == "Dupont, Marie");
  CHECK(m.from[1].name == "Élodie");
  REQUIRE(m.cc.size() == 2);
  CHECK(m.cc[0].name == "Jean Valjean");
  CHECK(m.cc[1].name == "Service, Urbanisme");
  REQUIRE(m.reply_to.size() == 1);
  CHECK(m.reply_to[0].address == "marie.reponse@example.fr");
  CHECK(guichet::mail::format_rfc3339(*m.date) == "2026-11-21T09:00:00Z");
}

TEST_CASE("classification: automatic, bounce and list mail (RFC 3834)", "[corpus][classify]") {
  Message vacation = parse(corpus("vacation-auto-replied.eml"));
  CHECK(vacation.auto_submitted);
  CHECK(vacation.auto_submitted_header == "auto-replied (vacation)");
  CHECK(vacation.subject == "Réponse automatique\xC2\xA0: [Réf. 2026-000042]");
  CHECK_FALSE(vacation.bounce);

  Message oof = parse(corpus("exchange-oof.eml"));
  CHECK(oof.auto_submitted);
  CHECK(oof.text == "Je suis en congés.\n");

  CHECK(parse(corpus("x-autoreply.eml")).auto_submitted);

  Message dsn = parse(corpus("dsn-bounce.eml"));
  CHECK(dsn.bounce);
  REQUIRE(dsn.return_path);
  CHECK(dsn.return_path->empty());
  CHECK(dsn.text.rfind("I'm sorry to have to inform you", 0) == 0);

  Message news = parse(corpus("newsletter-list-id.eml"));
  CHECK(news.list);
  CHECK(news.list_id == "Gazette hebdo <hebdo.gazette.example>");
  CHECK_FALSE(news.auto_submitted);
  CHECK(parse(corpus("precedence-bulk.eml")).list);

  for (const char* human : {"outlook-windows1252.eml", "gmail-utf8-attachment.eml", "laposte-html-only.eml"}) {
    Message m = parse(corpus(human));
    CHECK_FALSE(m.auto_submitted);
    CHECK_FALSE(m.bounce);
    CHECK_FALSE(m.list);
  }
}

TEST_CASE("Auto-Submitted: no is a human", "[classify]") {
  Message m = parse("From: a@b.fr\nAuto-Submitted: no\nSubject: x\n\nbody\n");
  CHECK_FALSE(m.auto_submitted);
  Message postmaster = parse("From: postmaster@b.fr\nSubject: x\n\nbody\n");
  CHECK(postmaster.bounce);
  Message receipt = parse(
      "From: a@b.fr\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b\n\n--b\n"
      "Content-Type: text/plain\n\nlu\n--b--\n");
  CHECK(receipt.auto_submitted);
  CHECK_FALSE(receipt.bounce);
}

TEST_CASE("forwarded mail is kept whole as a message/rfc822 attachment", "[corpus]") {
  Message m = parse(corpus("forwarded-rfc822.eml"));
  CHECK(m.text == "Pour information, voir le message ci-joint.");
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].content_type == "message/rfc822");
  CHECK(m.attachments[0].filename == "Abri de jardin.eml");
  CHECK(m.attachments[0].content.find("Faut-il une déclaration préalable") != std::string::npos);
  // What is attached parses again as a mail.
  Message inner = parse(m.attachments[0].content);
  CHECK(inner.message_id == "abri@example.fr");
  CHECK(inner.from[0].name == "Bernard Roux");
}

TEST_CASE("every corpus mail decodes to valid UTF-8", "[corpus]") {
  for (const auto& e : std::filesystem::directory_iterator(guichet::test::data_path("mail"))) {
    Message m = parse(guichet::test::read_file(e.path().string()));
    INFO(e.path().filename().string());
    CHECK(guichet::mail::is_valid_utf8(m.subject));
    CHECK(guichet::mail::is_valid_utf8(m.text));
    for (const auto& a : m.attachments) CHECK(guichet::mail::is_valid_utf8(a.filename));
    for (const auto& a : m.from) CHECK(guichet::mail::is_valid_utf8(a.name));
  }
}

TEST_CASE("RFC 2046 5.1.1's own example: a boundary with a space, preamble and epilogue ignored", "[corpus][rfc2046]") {
  Message m = parse(corpus("rfc2046-simple-boundary.eml"));
  CHECK(m.text ==
        "This is implicitly typed plain US-ASCII text.\nIt does NOT end with a linebreak.\n"
        "This is explicitly typed plain US-ASCII text.\nIt DOES end with a linebreak.\n");
  CHECK(m.text.find("preamble") == std::string::npos);
  CHECK(m.text.find("epilogue") == std::string::npos);
  CHECK(m.attachments.empty());
  CHECK(m.problems.empty());
}

TEST_CASE("RFC 2049 appendix A: nested parallel parts, enriched text, an encapsulated message", "[corpus][rfc2046]") {
  Message m = parse(corpus("rfc2049-complex-multipart.eml"));
  // The two plain parts (the first untyped: US-ASCII text by default) are the body.
  CHECK(m.text.find("... Some text appears here ...") != std::string::npos);
  CHECK(m.text.find("illustrates explicit versus implicit typing") != std::string::npos);
  CHECK(m.text.find("preamble") == std::string::npos);
  CHECK(m.text.find("Additional text in ISO-8859-1") == std::string::npos);  // the inner message's
  REQUIRE(m.attachments.size() == 4);
  CHECK(m.attachments[0].content_type == "audio/basic");
  CHECK(m.attachments[0].content.rfind("RIFF", 0) == 0);
  CHECK(m.attachments[1].content_type == "image/jpeg");
  CHECK(m.attachments[2].content_type == "text/enriched");
  CHECK(m.attachments[3].content_type == "message/rfc822");
  CHECK(m.attachments[3].filename == "(subject in US-ASCII).eml");
  CHECK(m.problems.empty());
}

TEST_CASE("delimiter lines with transport padding (spaces, tabs) and a boundary with spaces", "[corpus][rfc2046]") {
  Message m = parse(corpus("transport-padding.eml"));
  CHECK(m.text == "Bonjour, voici le plan de la véranda.\n");
  CHECK(m.text.find("Content-Type") == std::string::npos);
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].filename == "plan.pdf");
  CHECK(m.attachments[0].content.rfind("%PDF-1.4", 0) == 0);
  CHECK(m.problems.empty());
}

TEST_CASE("a multipart/digest inside a mail: each entry an attachment, none of their text in the body",
          "[corpus][rfc2046]") {
  Message m = parse(corpus("digest-nested.eml"));
  CHECK(m.text == "Les deux signalements de la semaine sont joints.");
  REQUIRE(m.attachments.size() == 2);
  // RFC 2046 5.1.5: an entry without Content-Type is a message/rfc822.
  CHECK(m.attachments[0].content_type == "message/rfc822");
  CHECK(m.attachments[0].filename == "Lampadaire en panne.eml");
  CHECK(m.attachments[1].content_type == "message/rfc822");
  CHECK(m.attachments[1].filename == "Dépôt sauvage.eml");
  // The image belongs to the second entry, kept whole inside it, not to this mail.
  Message inner = parse(m.attachments[1].content);
  CHECK(inner.text == "Des gravats rue Haute.");
  REQUIRE(inner.attachments.size() == 1);
  CHECK(inner.attachments[0].filename == "gravats.jpg");
  Message first = parse(m.attachments[0].content);
  CHECK(first.message_id == "lampadaire@example.org");
  CHECK(first.text.find("lampadaire de la place") != std::string::npos);
}

TEST_CASE("a base64 body followed by text: decoded up to its end, the rest reported", "[corpus][rfc2046]") {
  Message m = parse(corpus("base64-trailing-garbage.eml"));
  CHECK(m.text == "Ci-joint le plan.");
  REQUIRE(m.attachments.size() == 1);
  CHECK(m.attachments[0].size == 54);
  CHECK(m.attachments[0].content.rfind("%PDF-1.4", 0) == 0);
  CHECK(m.attachments[0].content.find("%%EOF") != std::string::npos);
  CHECK(has_problem(m, "after the end of a base64 body"));
}
