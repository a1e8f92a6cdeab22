// The pure parts of agents' mail: reply tokens (lib/tokens), quote stripping (mail/quote.h) and
// the command block (engine/commands.h). Each client's way of quoting is one table row.
#include <catch2/catch.hpp>

#include "engine/commands.h"
#include "mail/parse.h"
#include "mail/quote.h"
#include "tokens/tokens.h"

using namespace guichet;

namespace {
const std::string kKey = "0123456789abcdef0123456789abcdef";
}

TEST_CASE("tokens: encoded, found in an address, a Message-ID and a body, and checked", "[tokens]") {
  tokens::Token t{tokens::Kind::answer, "2026-000042", "mdupont", 3};
  const std::string text = tokens::encode(t, kKey);
  CHECK(text.rfind("r.2026-000042.mdupont.3.", 0) == 0);
  CHECK(text.size() == std::string("r.2026-000042.mdupont.3.").size() + 10);
  const std::string address = tokens::reply_address("urbanisme@champignac.example", '+', t, kKey);
  CHECK(address == "urbanisme+" + text + "@champignac.example");
  CHECK(address.find('@') < 65);  // a local part of at most 64 octets

  mail::Message m;
  m.to = {{"", address}};
  auto found = tokens::find(m, kKey);
  REQUIRE(found.size() == 1);
  CHECK(found[0].authentic);
  CHECK(found[0].token == t);
  CHECK(found[0].where == "to");

  SECTION("a server that lower-cases or upper-cases the address changes nothing") {
    std::string upper = address;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    mail::Message u;
    u.cc = {{"", upper}};
    auto f = tokens::find(u, kKey);
    REQUIRE(f.size() == 1);
    CHECK(f[0].authentic);
    CHECK(f[0].token.agent == "mdupont");
  }
  SECTION("headers rewritten: the Message-ID in In-Reply-To, or the marker in the quoted body") {
    mail::Message a;
    a.in_reply_to = {tokens::message_id("champignac.example", t, kKey)};
    auto f = tokens::find(a, kKey);
    REQUIRE(f.size() == 1);
    CHECK(f[0].authentic);
    CHECK(f[0].where == "in-reply-to");
    mail::Message b;
    b.text = "Bonjour,\n\nc'est fait.\n\n> Une demande vous est confiée.\n> " + tokens::marker(t, kKey) + "\n";
    f = tokens::find(b, kKey);
    REQUIRE(f.size() == 1);
    CHECK(f[0].authentic);
    CHECK(f[0].where == "body");
  }
  SECTION("a changed reference, agent or version breaks the MAC") {
    for (const auto& forged : {std::string("r.2026-000043.mdupont.3."), std::string("r.2026-000042.pmartin.3."),
                               std::string("r.2026-000042.mdupont.4."), std::string("n.2026-000042.mdupont.3.")}) {
      mail::Message f;
      f.to = {{"", "urbanisme+" + forged + text.substr(text.size() - 10) + "@champignac.example"}};
      auto got = tokens::find(f, kKey);
      REQUIRE(got.size() == 1);
      CHECK_FALSE(got[0].authentic);
    }
    mail::Message other;
    other.to = {{"", address}};
    CHECK_FALSE(tokens::find(other, "another key of 32 bytes, really!").front().authentic);
  }
  SECTION("another separator") {
    mail::Message d;
    d.to = {{"", tokens::reply_address("voirie@x.fr", '-', t, kKey)}};
    auto f = tokens::find(d, kKey, '-');
    REQUIRE(f.size() == 1);
    CHECK(f[0].authentic);
  }
  SECTION("ordinary addresses and Message-IDs hold no token") {
    mail::Message o;
    o.to = {{"", "s.martin@champignac.example"}, {"", "r.dupont+news@example.org"}};
    o.in_reply_to = {"CAKx1f2=abc@mail.gmail.com", "r.2026@x"};
    o.text = "Voir r.2026-000042 demain.";
    CHECK(tokens::find(o, kKey).empty());
  }
}

TEST_CASE("quotes: each client's way of quoting is removed, the agent's own words kept", "[quote]") {
  struct Row {
    const char* client;
    std::string mail;
  };
  const std::string notice = "Bonjour Marie,\nUne demande vous est confiée.\nRéférence : 2026-000042\n[guichet r.2026-000042.mdupont.0.abcdefghij]\n";
  auto quoted = [&](const std::string& prefix) {
    std::string out;
    for (size_t p = 0, n; p < notice.size(); p = n + 1) {
      n = notice.find('\n', p);
      out += prefix + notice.substr(p, n - p) + "\n";
    }
    return out;
  };
  const std::vector<Row> rows = {
      {"Thunderbird (attribution, > quotes)",
       "Bonjour Madame,\nLe trou sera rebouché jeudi.\n\nLe 03/12/2026 à 14:05, guichet Voirie a écrit :\n" + quoted("> ")},
      {"Gmail (attribution over two lines)",
       "Bonjour Madame,\nLe trou sera rebouché jeudi.\n\nLe jeu. 3 déc. 2026 à 14:05, guichet Services techniques <\nvoirie@champignac.example> a écrit :\n\n" +
           quoted("> ")},
      {"Outlook (De : … Envoyé : …)",
       "Bonjour Madame,\nLe trou sera rebouché jeudi.\n\n________________________________\nDe : guichet Voirie <voirie@champignac.example>\nEnvoyé : jeudi 3 décembre 2026 14:05\nÀ : Dupont Marie\nObjet : [Réf. 2026-000042] Nouvelle demande\n\n" +
           notice},
      {"Outlook in English", "Bonjour Madame,\nLe trou sera rebouché jeudi.\n\nFrom: guichet <voirie@champignac.example>\nSent: Thursday, December 3, 2026 2:05 PM\nTo: Marie\n\n" + notice},
      {"Apple Mail", "Bonjour Madame,\nLe trou sera rebouché jeudi.\n\n> Le 3 déc. 2026 à 14:05, guichet <voirie@champignac.example> a écrit :\n" + quoted("> ")},
      {"webmail -----Message d'origine-----", "Bonjour Madame,\nLe trou sera rebouché jeudi.\n\n-----Message d'origine-----\n" + notice},
      {"HTML client rendered to text (no > prefix)", "Bonjour Madame,\nLe trou sera rebouché jeudi.\n\nLe jeu. 3 déc. 2026 à 14:05, guichet a écrit :\n" + notice},
      {"English client", "Bonjour Madame,\nLe trou sera rebouché jeudi.\n\nOn Thu, Dec 3, 2026 at 2:05 PM guichet <voirie@champignac.example> wrote:\n" + quoted("> ")},
      {"signature of the client", "Bonjour Madame,\nLe trou sera rebouché jeudi.\n-- \nMarie Dupont\nEnvoyé de mon iPhone\n\n" + quoted("> ")},
      {"bottom posting", "Le 03/12/2026 à 14:05, guichet a écrit :\n" + quoted("> ") + "\nBonjour Madame,\nLe trou sera rebouché jeudi.\n"},
  };
  for (const auto& row : rows) {
    INFO(row.client);
    auto u = mail::strip_quotes(row.mail);
    CHECK(u.quoted);
    CHECK(u.text == "Bonjour Madame,\nLe trou sera rebouché jeudi.\n");
  }
  SECTION("a reply with only the quote is empty") {
    CHECK(mail::strip_quotes("\n\nLe 03/12/2026 à 14:05, guichet a écrit :\n" + quoted("> ")).text.empty());
    CHECK(mail::strip_quotes("\r\nDe : guichet\r\nEnvoyé : jeudi\r\n" + notice).text.empty());
  }
  SECTION("text without a quote is kept whole") {
    auto u = mail::strip_quotes("Bonjour,\nDe : ma part, merci.\nLe dossier est complet.\n");
    CHECK_FALSE(u.quoted);
    CHECK(u.text == "Bonjour,\nDe : ma part, merci.\nLe dossier est complet.\n");
  }
}

TEST_CASE("commands: the block at the top, French first, English aliases, accents and case ignored", "[commands]") {
  using engine::CommandKey;
  SECTION("keys and values") {
    auto b = engine::parse_command_block(
        "SERVICE: Voirie\nPièces manquantes : plan de situation ; photographie\nPriorite : haute\nStatus: clos\n\n"
        "Bonjour Madame,\nvotre demande est transmise.\n");
    REQUIRE(b.commands.size() == 4);
    CHECK(b.commands[0].key == CommandKey::service);
    CHECK(b.commands[0].value == "Voirie");
    CHECK(b.commands[1].key == CommandKey::missing);
    CHECK(b.commands[1].items == std::vector<std::string>{"plan de situation", "photographie"});
    CHECK(b.commands[2].key == CommandKey::priority);
    CHECK(b.commands[3].key == CommandKey::status);
    CHECK(b.rest == "Bonjour Madame,\nvotre demande est transmise.\n");
  }
  SECTION("a list on the lines below") {
    auto b = engine::parse_command_block("Pièces manquantes :\n- plan de situation\n- photographie du terrain\nMerci.");
    REQUIRE(b.commands.size() == 1);
    CHECK(b.commands[0].items == std::vector<std::string>{"plan de situation", "photographie du terrain"});
    CHECK(b.rest == "Merci.");
  }
  SECTION("a command after the first text line is text") {
    auto b = engine::parse_command_block("Bonjour Madame,\nService : voirie\n");
    CHECK(b.commands.empty());
    CHECK(b.rest == "Bonjour Madame,\nService : voirie\n");
  }
  SECTION("a first line shaped like a command but not one is text; inside the block it is an unknown command") {
    CHECK(engine::parse_command_block("Madame : votre dossier est complet.\n").commands.empty());
    CHECK(engine::parse_command_block("Objet : votre demande\nBonjour").commands.empty());  // intake keys only for intake
    auto b = engine::parse_command_block("Service : voirie\nDélai : 3 jours\nBonjour");
    REQUIRE(b.commands.size() == 2);
    CHECK(b.commands[1].key == CommandKey::unknown);
    CHECK(b.commands[1].written == "Délai");
  }
  SECTION("intake keys on the intake path") {
    auto b = engine::parse_command_block("Canal : téléphone\nDemandeur : Mme Sophie Seccotine\nReçu le : 2026-12-03\n\nTexte", true);
    REQUIRE(b.commands.size() == 3);
    CHECK(b.commands[0].key == CommandKey::channel);
    CHECK(b.commands[1].key == CommandKey::requester);
    CHECK(b.commands[2].key == CommandKey::received_on);
  }
}
