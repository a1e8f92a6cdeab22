// Search (store/search.h): a resident found by any spelling or part of their name, a word, an
// attachment, a reference; kept current at ingest; filters and rights.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "mail/parse.h"
#include "store/search_index.h"
#include "town.h"

using namespace guichet;
using test::Town;

namespace {

std::vector<std::string> refs(Town& t, const std::string& text, store::SearchQuery q = {}) {
  q.text = text;
  auto found = t.st->search(q);
  INFO((found ? std::string() : found.error().message));
  REQUIRE(found);
  std::vector<std::string> out;
  for (const auto& r : *found) out.push_back(r.reference);
  return out;
}

// How many messages' rows the index holds for `words` within a scope's term (store/search_index.h).
std::int64_t index_count(Town& t, const std::string& words, const std::string& scope) {
  auto term = store::scope_term(t.st->database(), scope, false);
  REQUIRE(term);
  if (!*term) return 0;
  auto st = t.st->database().prepare("SELECT count(*) FROM search WHERE search MATCH ?1");
  REQUIRE(st);
  st->bind(1, words + " AND \"" + **term + "\"");
  REQUIRE(st->step().value());
  return st->int64(0);
}

}  // namespace

TEST_CASE("search: a resident by name in any case, accent, order or part, a word, an attachment, a reference",
          "[search]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  const auto sophie = t.ingest(test::resident_mail("s-1@example.org", "Trottoir défoncé avenue Foch",
                                                   "Sophie Seccotine <sophie.seccotine@example.org>"))
                          .reference;
  const auto nico = t.ingest(test::resident_mail("s-2@example.org", "Lampadaire", "Nicolaïevitch Œdipe <n.o@example.fr>",
                                                 "voirie@champignac.example", "",
                                                 "Bonjour, la rue des Cœurs est sombre depuis lundi.\r\n"))
                        .reference;
  const auto other = t.ingest(test::resident_mail("s-3@example.org", "Nid-de-poule", "Jean Dupuis <jd@example.org>",
                                                  "voirie@champignac.example", "",
                                                  "Voir la photo ci-jointe.\r\n"))
                         .reference;
  const auto plan = t.ingest("From: Marc <marc@example.net>\r\nTo: voirie@champignac.example\r\nSubject: Travaux\r\n"
                            "Message-ID: <s-5@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                            "boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nCi-joint.\r\n--b\r\n"
                            "Content-Type: application/pdf; name=\"Plan_Cadastral_Été.pdf\"\r\n"
                            "Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n")
                        .reference;
  using V = std::vector<std::string>;
  CHECK(refs(t, "cadastral") == V{plan});
  CHECK(refs(t, "plan ete") == V{plan});
  for (const char* q : {"Seccotine", "SECCOTINE", "seccotine sophie", "Sophie Seccotine", "Mme Seccotine", "secco",
                        "cotine", "sophie.seccotine@example.org", "défoncé", "DEFONCE", "foch"}) {
    INFO(q);
    CHECK(refs(t, q) == V{sophie});
  }
  CHECK(refs(t, "nicolaievitch") == V{nico});
  CHECK(refs(t, "oedipe") == V{nico});
  CHECK(refs(t, "coeurs") == V{nico});  // "Cœurs" in the text
  CHECK(refs(t, "seccotine jean").empty());  // every word must match
  // The reference in any spelling.
  const std::string year = sophie.substr(0, 4);
  const std::string seq = std::to_string(std::stoi(sophie.substr(5)));
  for (const std::string& q : {sophie, year + "-" + seq, year + "/" + seq, year + sophie.substr(5)}) {
    INFO(q);
    REQUIRE_FALSE(refs(t, q).empty());
    CHECK(refs(t, q).front() == sophie);
  }
  // A later reply is found too, and keeps the request first (the last active).
  t.days_later(1);
  t.ingest(test::resident_mail("s-4@example.org", "Re: Nid-de-poule", "Jean Dupuis <jd@example.org>",
                               "voirie@champignac.example",
                               test::received_header(t.clock.now()) + "In-Reply-To: <s-3@example.org>\r\n",
                               "Le trou s'agrandit près de la boulangerie.\r\n"));
  CHECK(refs(t, "boulangerie") == V{other});
  CHECK(refs(t, "lampadaire nid").empty());
  auto all = refs(t, "example");  // every sender's domain
  REQUIRE(all.size() == 4);
  CHECK(all.front() == other);
  // Filters.
  store::SearchQuery q;
  q.department = "urbanisme";
  CHECK(refs(t, "example", q).empty());
  q = {};
  q.status = store::RequestStatus::closed;
  CHECK(refs(t, "example", q).empty());
  // Rights: only these departments.
  q = {};
  q.everything = false;
  q.departments = {"enfance"};
  CHECK(refs(t, "seccotine", q).empty());
  q.departments = {"voirie"};
  CHECK(refs(t, "seccotine", q) == V{sophie});
}

TEST_CASE("search: French punctuation, an address, a reference someone may not see", "[search]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  const auto school = t.ingest(test::resident_mail("p-1@example.org", "Cantine", "Léa Roux <lea.roux@example.org>",
                                                   "enfance@champignac.example", "",
                                                   "Bonjour, l’épicerie ferme à « midi » – est-ce normal ?\r\n"))
                          .reference;
  const auto street = t.ingest(test::resident_mail("p-2@example.org", "Trottoir", "Léa Roux <lea.roux@example.org>",
                                                   "voirie@champignac.example"))
                          .reference;
  using V = std::vector<std::string>;
  // Typographic apostrophes, guillemets and dashes separate words as the index does (a word holding
  // one used to be a phrase the index refused: an error, not a result).
  for (const char* text : {"l’épicerie", "«midi»", "epicerie – midi", "l'epicerie"}) {
    INFO(text);
    CHECK(refs(t, text) == V{school});
  }
  // An address: the requests it takes part in, newest first.
  CHECK(refs(t, "LEA.ROUX@example.org") == V{street, school});
  CHECK(refs(t, "lea.roux@example.org").size() == 2);
  CHECK(refs(t, "personne@example.org").empty());
  // Out of a person's rights, a reference or an address gives nothing (and no look-alike by words).
  store::SearchQuery q;
  q.everything = false;
  q.departments = {"urbanisme"};
  CHECK(refs(t, school, q).empty());
  CHECK(refs(t, "lea.roux@example.org", q).empty());
  q.departments = {"enfance"};
  CHECK(refs(t, school, q) == V{school});
  CHECK(refs(t, "lea.roux@example.org", q) == V{school});
  // Merged: the old reference finds the request it went into.
  {
    auto tx = t.st->transaction();
    REQUIRE(tx);
    REQUIRE(t.st->merge(t.request(school).id, t.request(street).id, t.clock.now()));
    REQUIRE(tx->commit());
  }
  CHECK(refs(t, street) == V{school});
  CHECK(refs(t, "lea.roux@example.org") == V{school});
}

TEST_CASE("search: a database older than the index is indexed when opened, in batches, saying how far", "[search]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  // Mail stored as before schema 7: nothing indexed. The migration then records how far the
  // existing rows go, as 0007 does on an older database.
  t.st->set_search_indexing(false);
  std::vector<std::string> refs_before;
  for (int i = 0; i < 3; ++i)
    refs_before.push_back(t.ingest(test::resident_mail("old-" + std::to_string(i) + "@example.org",
                                                       "Ancienne demande n° " + std::to_string(i),
                                                       "Sophie Seccotine <s" + std::to_string(i) + "@example.org>"))
                              .reference);
  CHECK(refs(t, "seccotine").empty());
  REQUIRE(t.st->put_setting("search_build_messages", "3"));
  REQUIRE(t.st->put_setting("search_build_requests", "3"));
  t.st.reset();
  auto reopened = store::Store::open(t.dir.str("g.db"));
  REQUIRE(reopened);
  t.st.emplace(std::move(*reopened));
  auto found = refs(t, "secco");
  std::sort(found.begin(), found.end());
  CHECK(found == refs_before);
  CHECK(t.st->setting("search_built_messages").value() == std::optional<std::string>("3"));
  CHECK(t.st->setting("search_built_requests").value() == std::optional<std::string>("3"));
  // Each row with its scope: a search within the department filters in the index.
  store::SearchQuery voirie;
  voirie.department = "voirie";
  found = refs(t, "secco", voirie);
  std::sort(found.begin(), found.end());
  CHECK(found == refs_before);
  CHECK(index_count(t, "ancienne", "department:voirie") == 3);
  // Done: opening again has nothing left to index, and search still answers.
  t.st.reset();
  t.st.emplace(std::move(*store::Store::open(t.dir.str("g.db"))));
  CHECK(refs(t, "ancienne").size() == 3);
}

TEST_CASE("guichet search from the command line, JSON and text", "[search][cli]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  const auto ref = t.ingest(test::resident_mail("c-1@example.org", "Déclaration préalable, abri de jardin",
                                                "Gaston Lagaffe <gaston@example.org>", "urbanisme@champignac.example"),
                            "urbanisme")
                       .reference;
  auto r = test::run_guichet("search " + t.args() + " --json lagaffe");
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["reference"] == ref);
  CHECK(j[0]["department"] == "urbanisme");
  CHECK(j[0].contains("last_activity_at"));
  auto text = test::run_guichet("search " + t.args() + " Gaston");
  CHECK(text.out.find(ref) != std::string::npos);
  auto none = test::run_guichet("search " + t.args() + " quelquechosedautre");
  CHECK(none.status == 0);
  CHECK(none.out.find("nothing found") != std::string::npos);
}

TEST_CASE("search: within some departments the index filters itself, and follows a transfer and a merge",
          "[search]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  std::vector<std::string> street;
  for (int i = 0; i < 3; ++i)
    street.push_back(t.ingest(test::resident_mail("l-" + std::to_string(i) + "@example.org", "Lampadaire éteint n° " +
                                                  std::to_string(i), "Léa Martin <lea" + std::to_string(i) + "@example.org>"))
                         .reference);
  const auto house = t.ingest(test::resident_mail("u-1@example.org", "Véranda", "Sophie Seccotine <s@example.org>",
                                                  "urbanisme@champignac.example", "",
                                                  "Bonjour, faut-il un permis pour une véranda ?\r\n"),
                              "urbanisme")
                         .reference;
  REQUIRE(t.request(street[0]).department == std::optional<std::string>("voirie"));
  REQUIRE(t.request(house).department == std::optional<std::string>("urbanisme"));
  using V = std::vector<std::string>;
  store::SearchQuery elu;
  elu.everything = false;
  elu.departments = {"urbanisme"};
  // A word of another department: nothing, answered by the index's own intersection.
  CHECK(refs(t, "lampadaire", elu).empty());
  CHECK(index_count(t, "lampadaire", "department:voirie") == 3);
  CHECK(index_count(t, "lampadaire", "department:urbanisme") == 0);
  CHECK(refs(t, "veranda", elu) == V{house});

  // A transfer to urbanisme: the request's rows get the new scope before the commit.
  {
    auto tx = t.st->transaction();
    REQUIRE(tx);
    store::RequestChanges c;
    c.department = std::optional<std::string>("urbanisme");
    REQUIRE(t.st->update_request(t.request(street[0]).id, c, t.clock.now()));
    REQUIRE(tx->commit());
  }
  CHECK(refs(t, "lampadaire", elu) == V{street[0]});
  CHECK(refs(t, "martin", elu) == V{street[0]});  // the request's own row too
  CHECK(index_count(t, "lampadaire", "department:voirie") == 2);
  CHECK(index_count(t, "lampadaire", "department:urbanisme") == 1);
  CHECK(refs(t, "lampadaire").size() == 3);  // nothing lost from the words
  // The head of voirie, by the department filter: the two left.
  store::SearchQuery voirie;
  voirie.department = "voirie";
  CHECK(refs(t, "lampadaire", voirie).size() == 2);

  // A merge into the urbanisme request: the voirie request's message follows it.
  {
    auto tx = t.st->transaction();
    REQUIRE(tx);
    REQUIRE(t.st->merge(t.request(house).id, t.request(street[1]).id, t.clock.now()));
    REQUIRE(tx->commit());
  }
  auto found = refs(t, "lampadaire", elu);
  std::sort(found.begin(), found.end());
  V expected{street[0], house};
  std::sort(expected.begin(), expected.end());
  CHECK(found == expected);
  CHECK(index_count(t, "lampadaire", "department:voirie") == 1);

  // Changed behind guichet's back (the sqlite3 shell): the trigger queues it, searches filter in
  // SQL only meanwhile, and the next commit gives the rows their scope.
  REQUIRE(t.st->database().exec("UPDATE requests SET department = 'urbanisme' WHERE reference = '" + street[2] + "'"));
  CHECK(index_count(t, "lampadaire", "department:voirie") == 1);  // not yet
  found = refs(t, "lampadaire", elu);
  CHECK(found.size() == 3);
  {
    auto tx = t.st->transaction();
    REQUIRE(tx);
    REQUIRE(tx->commit());
  }
  CHECK(index_count(t, "lampadaire", "department:voirie") == 0);
  CHECK(index_count(t, "lampadaire", "department:urbanisme") == 3);
  CHECK(refs(t, "lampadaire", elu).size() == 3);
  // An agent's own requests count in their rights, through the index as well.
  store::SearchQuery agent;
  agent.everything = false;
  agent.agent = t.request(house).agent;
  REQUIRE(agent.agent);
  CHECK(refs(t, "veranda", agent) == V{house});
  // The index is whole after all this (FTS5's own check of its structure).
  CHECK(t.st->database().exec("INSERT INTO search (search) VALUES ('integrity-check')"));
  CHECK(t.st->database().exec("INSERT INTO search_requests (search_requests) VALUES ('integrity-check')"));
}

TEST_CASE("search: a whole word finds its longer forms when it alone finds nothing, within the rights too",
          "[search]") {
  Town t("deadlines:\n  digest_at: 'off'\n");
  // "lampadaire" whole in voirie, "lampadaires" only in urbanisme; "Martin" and "Martinez".
  const auto street =
      t.ingest(test::resident_mail("x-1@example.org", "Lampadaire éteint", "Léa Martin <lea@example.org>")).reference;
  const auto plans = t.ingest(test::resident_mail("x-2@example.org", "Projet", "Paul Martinez <paul@example.org>",
                                                  "urbanisme@champignac.example", "",
                                                  "Bonjour, deux lampadaires sur le plan de la véranda.\r\n"),
                              "urbanisme")
                         .reference;
  using V = std::vector<std::string>;
  store::SearchQuery elu;
  elu.everything = false;
  elu.departments = {"urbanisme"};
  CHECK(refs(t, "lampadaire") == V{street});      // the whole word first, for everyone
  CHECK(refs(t, "lampadaire", elu) == V{plans});  // nothing whole in urbanisme: its longer form
  CHECK(refs(t, "martin", elu) == V{plans});
  CHECK(refs(t, "veranda lampadaire", elu) == V{plans});  // one word whole, one by its longer form
  // A word no longer word starts with: nothing within the rights, and nothing by a prefix.
  CHECK(refs(t, "eteint", elu).empty());
  CHECK(refs(t, "eteint") == V{street});
}

TEST_CASE("search: a rolled-back batch leaves nothing in the index, and the scope terms it made are not remembered",
          "[search]") {
  Town t;
  auto mail = [](const std::string& id, const std::string& word, const std::string& to) {
    return test::resident_mail(id + "@example.org", "Question " + word, "Léa Martin <lea.martin@example.org>", to, "",
                               "Bonjour,\r\n" + word + " devant la mairie.\r\n");
  };
  {
    // The first mail of this database, to urbanisme: its scope's terms are made in this
    // transaction, which then rolls back (a batch that failed).
    auto opt = t.options("urbanisme");
    auto tx = t.st->transaction();
    REQUIRE(tx);
    REQUIRE(engine::ingest(*t.st, mail("a", "zeppelin", "urbanisme@champignac.example"),
                           store::Source{"urbanisme", "a", ""}, opt, t.clock));
  }
  // The next mail goes to voirie: its terms may get the ids the rolled-back ones had.
  t.ingest(mail("b", "lampadaire", "voirie@champignac.example"), "voirie");
  const auto c = t.ingest(mail("c", "glycine", "urbanisme@champignac.example"), "urbanisme");
  REQUIRE(t.request(c.reference).department == std::optional<std::string>("urbanisme"));
  CHECK(refs(t, "zeppelin").empty());
  CHECK(index_count(t, "glycine", "department:urbanisme") == 1);
  CHECK(index_count(t, "glycine", "department:voirie") == 0);
  store::SearchQuery voirie;
  voirie.everything = false;
  voirie.departments = {"voirie"};
  CHECK(refs(t, "glycine", voirie).empty());
  store::SearchQuery urbanisme = voirie;
  urbanisme.departments = {"urbanisme"};
  CHECK(refs(t, "glycine", urbanisme) == std::vector<std::string>{c.reference});
}

TEST_CASE("search: a message's names are the same words at ingest and when its row is given back", "[search]") {
  // The index is contentless: a row is removed by giving the same words again, from the stored
  // headers. The ingest makes them from the parsed mail instead; both must agree byte for byte.
  Town t;
  std::vector<std::string> mails;
  for (const auto& entry : std::filesystem::directory_iterator(test::data_path("mail")))
    if (entry.path().extension() == ".eml") mails.push_back(test::read_file(entry.path().string()));
  for (const auto& entry : std::filesystem::directory_iterator(test::data_path("fuzz")))
    mails.push_back(test::read_file(entry.path().string()));
  mails.push_back(
      "From: =?utf-8?q?L=C3=A9a_Martin?= <lea.martin@example.org>\r\nTo: \"Mairie, urbanisme\" "
      "<urbanisme@champignac.example>, =?iso-8859-1?q?J=E9r=F4me?= <jerome@example.org>\r\nCc: Zoë \xC3\x89lise "
      "<zoe@example.org>, undisclosed-recipients:;\r\nReply-To: \"Mme Sophie Seccotine\" <seccotine@example.org>\r\n"
      "Subject: Permis\r\nMessage-ID: <names-1@example.org>\r\nDate: Thu, 03 Dec 2026 09:00:00 "
      "+0100\r\n\r\nBonjour\r\n");
  mails.push_back(
      "From: Gaston \xE9 <gaston@example.org>\r\nTo: J\xE9r\xF4me \xFF <jerome@example.org>\r\n"
      "Subject: Octets\r\nMessage-ID: <names-2@example.org>\r\n\r\nTexte\r\n");
  int compared = 0;
  std::int64_t last = 0;
  for (const auto& raw : mails) {
    t.ingest(raw);
    auto st =
        t.st->database().prepare("SELECT id, from_name, from_address, headers FROM messages ORDER BY id DESC LIMIT 1");
    REQUIRE(st);
    REQUIRE(st->step().value());
    if (st->int64(0) == last) continue;  // a duplicate of an earlier mail: no new row
    last = st->int64(0);
    const std::string headers = st->text(3);
    const mail::Message m = mail::parse(raw);
    INFO(raw.substr(0, 200));
    CHECK(store::names_of_mail(m, headers) == store::names_in_headers(st->text(1), st->text(2), headers));
    ++compared;
  }
  CHECK(compared >= static_cast<int>(mails.size()) - 2);
}
