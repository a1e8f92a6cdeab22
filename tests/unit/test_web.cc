// The web view over HTTP: the real `guichet web` binary on loopback, in front of a commune's
// database, driven by an HTTP client. Every right, every header, every form's token, escaping,
// the login link, the limits. (The browser test, tests/web/browser_test.py, does the same from
// a real Chromium.)
#include <curl/curl.h>
#include <httplib.h>
#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <regex>
#include <thread>

#include "calendar/calendar.h"
#include "servers.h"
#include "town.h"
#include "util/sha256.h"
#include "util/strings.h"

using namespace guichet;
using test::Town;

namespace {

using P = httplib::Params;

// The requests of the commune: one per service, a hostile subject, an attachment.
constexpr const char* kVoirie = "2026-000001";      // voirie, Léa Martin
constexpr const char* kUrbanisme = "2026-000002";   // urbanisme, Sophie Seccotine, <script> subject
constexpr const char* kAttachment = "2026-000003";  // urbanisme, a PDF attached

std::string web_block(int port, const std::string& more = "") {
  return "web:\n  listen: 127.0.0.1:" + std::to_string(port) +
         "\n  base_url: http://127.0.0.1:" + std::to_string(port) + "\n" + more;
}

std::string with_attachment() {
  return "From: Sophie Seccotine <sophie.seccotine@example.org>\r\nTo: urbanisme@champignac.example\r\n"
         "Subject: Plan de la parcelle\r\nDate: Thu, 03 Dec 2026 09:40:00 +0100\r\nMessage-ID: <plan@example.org>\r\n"
         "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n\r\nVoici le plan.\r\n--b\r\n"
         "Content-Type: application/pdf; name=\"plan cadastral é.pdf\"\r\n"
         "Content-Disposition: attachment; filename=\"plan.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
         "JVBERi0xLjQKJcOkw7zDtsOfCjEgMCBvYmoKPDwvVHlwZS9DYXRhbG9nPj4KZW5kb2JqCg==\r\n--b--\r\n";
}

struct WebTown : Town {
  explicit WebTown(const std::string& web_more = "") : WebTown(test::free_port(), web_more) {}
  WebTown(int port, const std::string& web_more) : Town(web_block(port, web_more)), port_(port) {
    REQUIRE(ingest(test::resident_mail("v1@example.org", "Lampadaire éteint rue Pasteur")).reference == kVoirie);
    REQUIRE(
        ingest(test::resident_mail("u1@example.org", "<script>alert(1)</script> véranda",
                                   "Sophie Seccotine <sophie.seccotine@example.org>", "urbanisme@champignac.example"),
               "urbanisme")
            .reference == kUrbanisme);
    REQUIRE(ingest(with_attachment(), "urbanisme").reference == kAttachment);
    start();
  }
  ~WebTown() { web.stop(); }

  void start() {
    web.start({GUICHET_BIN, "--config", config_path(), "--now", "2026-12-03T10:30", "web"}, dir.str("web.log"));
    REQUIRE(test::wait_for_port(port_));
    // The port answering is not enough: it must be this process that listens there.
    const std::string listening = "listening on http://127.0.0.1:" + std::to_string(port_);
    for (int i = 0; i < 50 && test::read_file(dir.str("web.log")).find(listening) == std::string::npos; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    INFO(test::read_file(dir.str("web.log")));
    REQUIRE(test::read_file(dir.str("web.log")).find(listening) != std::string::npos);
  }
  void reload() {
    ::kill(web.pid(), SIGHUP);
    for (int i = 0; i < 50 && test::read_file(dir.str("web.log")).find("configuration reloaded") == std::string::npos;
         ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(test::read_file(dir.str("web.log")).find("configuration reloaded") != std::string::npos);
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(10);
    return c;
  }
  // A session for `address`, as a login would make it (the cookie's value; its CSRF token).
  std::pair<std::string, std::string> session(const std::string& address, std::int64_t last_seen = 0) {
    const std::string value = "session-" + std::to_string(++sessions_) + "-" + address + "-0123456789abcdef";
    const std::string csrf = "csrf-" + std::to_string(address.size()) + "-0123456789abcdef0123456789";
    const std::int64_t now = clock.now();
    REQUIRE(st->web().put_session(sha256_hex(value), {address, csrf, now - 3600, last_seen ? last_seen : now}));
    return {value, csrf};
  }
  httplib::Headers as(const std::string& address) { return {{"Cookie", "guichet_session=" + session(address).first}}; }

  int status(const std::string& path, const std::string& address) {
    auto r = client().Get(path, as(address));
    REQUIRE(r);
    return r->status;
  }

  const int port_;
  int sessions_ = 0;
  test::Process web;
};

std::string form_cookie(const httplib::Result& r) {
  const std::string set = r->get_header_value("Set-Cookie");
  const size_t eq = set.find('='), semi = set.find(';');
  return set.substr(eq + 1, semi - eq - 1);
}

std::string field(const std::string& html, const std::string& name) {
  std::smatch m;
  const std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
  return std::regex_search(html, m, re) ? m[1].str() : "";
}

}  // namespace

TEST_CASE("web: every answer carries the headers a bank would send", "[web]") {
  WebTown t;
  auto c = t.client();
  for (const std::string path : {"/connexion", "/recherche", "/demande/2026-000001", "/nulle-part", "/style.css"}) {
    INFO(path);
    auto r = c.Get(path, t.as("p.martin@champignac.example"));
    REQUIRE(r);
    CHECK(r->get_header_value("Content-Security-Policy").find("default-src 'self'") == 0);
    CHECK(r->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'") != std::string::npos);
    CHECK(r->get_header_value("Content-Security-Policy").find("unsafe-inline") == std::string::npos);
    CHECK(r->get_header_value("X-Frame-Options") == "DENY");
    CHECK(r->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK(r->get_header_value("Referrer-Policy") == "no-referrer");
    CHECK(r->get_header_value("Strict-Transport-Security").find("max-age=") == 0);
    if (path != "/style.css") {
      CHECK(r->get_header_value("Cache-Control") == "no-store");
      CHECK(r->body.find("<script") == std::string::npos);  // no script, ever
    }
  }
  auto missing = c.Get("/nulle-part");
  CHECK(missing->status == 404);
  CHECK(missing->get_header_value("Content-Type").find("text/html") == 0);
  CHECK(missing->body.find("Page introuvable") != std::string::npos);
}

TEST_CASE("web: a one-time link through the outbox opens a session, once, for 15 minutes", "[web]") {
  WebTown t;
  auto c = t.client();
  auto form = c.Get("/connexion");
  REQUIRE(form->status == 200);
  const std::string token = form_cookie(form);
  CHECK(form->get_header_value("Set-Cookie").find("HttpOnly; Secure; SameSite=Strict") != std::string::npos);
  REQUIRE(field(form->body, "csrf") == token);
  const httplib::Headers with_form{{"Cookie", "guichet_form=" + token}};
  auto sent = c.Post("/connexion", with_form, P{{"csrf", token}, {"adresse", " P.Martin@Champignac.example "}});
  REQUIRE(sent->status == 200);
  CHECK(sent->body.find("Vérifiez votre messagerie") != std::string::npos);

  // The link goes through the outbox, which `guichet serve` drains.
  auto links = t.outbox("login");
  REQUIRE(links.size() == 1);
  CHECK(links[0].recipient == "p.martin@champignac.example");
  const mail::Message mail = t.outbox_message(links[0].id);
  CHECK(mail.subject == "[guichet] Votre lien de connexion");
  std::smatch m;
  const std::string base = "http://127.0.0.1:" + std::to_string(t.port_);
  REQUIRE(std::regex_search(mail.text, m, std::regex(base + "(/connexion/lien\\?t=([A-Za-z0-9_-]{40,64}))")));
  const std::string path = m[1].str(), link = m[2].str();
  // The database keeps its hash only.
  auto row = t.st->web().peek_link(sha256_hex(link), 0);
  REQUIRE(row);
  CHECK(**row == "p.martin@champignac.example");

  // Opening the link (a mail scanner would) does not use it; the button does.
  auto page = c.Get(path, with_form);
  REQUIRE(page->status == 200);
  CHECK(page->body.find("p.martin@champignac.example") != std::string::npos);
  CHECK(field(page->body, "t") == link);
  auto again = c.Get(path, with_form);
  CHECK(again->status == 200);

  auto in = c.Post("/connexion/lien", with_form, P{{"csrf", token}, {"t", link}});
  REQUIRE(in->status == 303);
  const std::string set = in->get_header_value("Set-Cookie");
  CHECK(set.find("guichet_session=") == 0);
  for (const char* attribute : {"HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age=604800"}) {
    INFO(attribute);
    CHECK(set.find(attribute) != std::string::npos);
  }
  const std::string value = set.substr(16, set.find(';') - 16);
  CHECK(value.size() >= 43);
  auto home = c.Get("/", {{"Cookie", "guichet_session=" + value}});
  CHECK(home->status == 303);
  CHECK(home->get_header_value("Location") == "/mes-demandes");
  auto mine = c.Get("/mes-demandes", {{"Cookie", "guichet_session=" + value}});
  CHECK(mine->status == 200);
  CHECK(mine->body.find("Paul Martin") != std::string::npos);
  CHECK(mine->body.find(kVoirie) != std::string::npos);

  // Used: never again.
  auto twice = c.Post("/connexion/lien", with_form, P{{"csrf", token}, {"t", link}});
  CHECK(twice->status == 403);
  CHECK(twice->get_header_value("Set-Cookie").empty());
  CHECK(c.Get(path, with_form)->status == 403);

  // A link 16 minutes old: refused.
  const std::string old = "old-link-0123456789abcdef0123456789abcdef";
  REQUIRE(t.st->web().put_link(sha256_hex(old), "p.martin@champignac.example", t.clock.now() - 16 * 60));
  CHECK(c.Post("/connexion/lien", with_form, P{{"csrf", token}, {"t", old}})->status == 403);
  // Without the form's token: refused, and the link stays usable.
  const std::string fresh = "fresh-link-0123456789abcdef0123456789abcdef";
  REQUIRE(t.st->web().put_link(sha256_hex(fresh), "p.martin@champignac.example", t.clock.now()));
  CHECK(c.Post("/connexion/lien", {{"Cookie", "guichet_form=" + token}}, P{{"t", fresh}})->status == 400);
  CHECK(c.Post("/connexion/lien", {{"Cookie", "guichet_form=another-0123456789abcdef0123456789"}},
               P{{"csrf", token}, {"t", fresh}})
            ->status == 400);
  CHECK(c.Post("/connexion/lien", with_form, P{{"csrf", token}, {"t", fresh}})->status == 303);
}

TEST_CASE("web: an unknown address gets the same answer, and no mail", "[web]") {
  WebTown t;
  auto c = t.client();
  const std::string token = form_cookie(c.Get("/connexion"));
  const httplib::Headers h{{"Cookie", "guichet_form=" + token}};
  auto known = c.Post("/connexion", h, P{{"csrf", token}, {"adresse", "maire@champignac.example"}});
  auto unknown = c.Post("/connexion", h, P{{"csrf", token}, {"adresse", "pirate@example.org"}});
  REQUIRE(known->status == 200);
  REQUIRE(unknown->status == 200);
  auto without = [](std::string body, const std::string& address) {
    body.replace(body.find(address), address.size(), "ADDRESS");
    return body;
  };
  CHECK(without(known->body, "maire@champignac.example") == without(unknown->body, "pirate@example.org"));
  auto links = t.outbox("login");
  REQUIRE(links.size() == 1);
  CHECK(links[0].recipient == "maire@champignac.example");
  // Not an address: said so.
  auto bad = c.Post("/connexion", h, P{{"csrf", token}, {"adresse", "pas une adresse"}});
  CHECK(bad->status == 400);
  CHECK(bad->body.find("Adresse invalide") != std::string::npos);
  // No form token: refused before anything is looked up.
  CHECK(c.Post("/connexion", P{{"csrf", token}, {"adresse", "maire@champignac.example"}})->status == 400);
  CHECK(t.outbox("login").size() == 1);
}

TEST_CASE("web: login links are limited per address and per client", "[web]") {
  WebTown t;
  auto c = t.client();
  const std::string token = form_cookie(c.Get("/connexion"));
  const httplib::Headers h{{"Cookie", "guichet_form=" + token}};
  for (int i = 0; i < 5; ++i)
    REQUIRE(c.Post("/connexion", h, P{{"csrf", token}, {"adresse", "p.martin@champignac.example"}})->status == 200);
  auto sixth = c.Post("/connexion", h, P{{"csrf", token}, {"adresse", "p.martin@champignac.example"}});
  CHECK(sixth->status == 429);
  CHECK(sixth->body.find("Trop de demandes") != std::string::npos);
  CHECK(t.outbox("login").size() == 5);
  // The same client, other addresses: 30 an hour in all.
  int refused = 0;
  for (int i = 0; i < 30; ++i) {
    auto r = c.Post("/connexion", h, P{{"csrf", token}, {"adresse", "x" + std::to_string(i) + "@example.org"}});
    if (r->status == 429) ++refused;
  }
  CHECK(refused == 5);  // 30 an hour from this client: 5 were spent above (a refusal spends none)
}

TEST_CASE("web: an agent sees their services' requests and another service's answers 404", "[web]") {
  WebTown t;
  const std::string paul = "p.martin@champignac.example";  // voirie and propreté
  CHECK(t.status(std::string("/demande/") + kVoirie, paul) == 200);
  CHECK(t.status(std::string("/demande/") + kUrbanisme, paul) == 404);
  CHECK(t.status(std::string("/demande/") + kAttachment + "/piece/1/1", paul) == 404);
  CHECK(t.status("/demande/2026-000999", paul) == 404);  // the same answer as one that does not exist
  auto c = t.client();
  auto found = c.Get("/recherche?q=seccotine", t.as(paul));
  CHECK(found->body.find("Aucune demande ne correspond") != std::string::npos);
  auto mine = c.Get("/recherche?q=lampadaire", t.as(paul));
  CHECK(mine->body.find(kVoirie) != std::string::npos);
  // An agent who is not a head nor the pilot: no live view, no figures.
  CHECK(t.status("/vue", "t.faure@champignac.example") == 404);
  CHECK(t.status("/chiffres", "t.faure@champignac.example") == 404);
  CHECK(t.status(std::string("/demande/") + kUrbanisme, "t.faure@champignac.example") == 200);
  CHECK(t.status(std::string("/demande/") + kVoirie, "t.faure@champignac.example") == 404);
  // An action on another service's request: 404, and nothing changes.
  auto [value, csrf] = t.session(paul);
  auto act = c.Post(std::string("/demande/") + kUrbanisme + "/action", {{"Cookie", "guichet_session=" + value}},
                    P{{"csrf", csrf}, {"commande", "statut"}, {"valeur", "clos"}});
  CHECK(act->status == 404);
  CHECK(t.request(kUrbanisme).status == store::RequestStatus::new_request);
  // Nobody logged in: to the login page.
  auto anonymous = c.Get(std::string("/demande/") + kVoirie);
  CHECK(anonymous->status == 303);
  CHECK(anonymous->get_header_value("Location") == "/connexion");
}

TEST_CASE("web: a head sees their service, the pilot everything, both the live view", "[web]") {
  WebTown t;
  const std::string head = "m.dupont@champignac.example";  // head of urbanisme
  CHECK(t.status(std::string("/demande/") + kUrbanisme, head) == 200);
  CHECK(t.status(std::string("/demande/") + kVoirie, head) == 404);
  CHECK(t.status("/vue", head) == 200);
  auto c = t.client();
  auto live = c.Get("/vue", t.as(head));
  CHECK(live->body.find("Service urbanisme") != std::string::npos);
  CHECK(live->body.find("Services techniques, voirie") == std::string::npos);  // not theirs
  const std::string pilot = "v.durand@champignac.example";
  CHECK(t.status(std::string("/demande/") + kUrbanisme, pilot) == 200);
  CHECK(t.status(std::string("/demande/") + kVoirie, pilot) == 200);
  auto all = c.Get("/vue", t.as(pilot));
  REQUIRE(all->status == 200);
  CHECK(all->body.find("<svg") != std::string::npos);
  CHECK(all->body.find("Service urbanisme") != std::string::npos);
  CHECK(all->body.find("Services techniques, voirie") != std::string::npos);
  auto figures = c.Get("/chiffres", t.as(pilot));
  REQUIRE(figures->status == 200);
  CHECK(figures->body.find("Total") != std::string::npos);
  auto page = c.Get(std::string("/demande/") + kVoirie, t.as(pilot));
  CHECK(page->body.find("Agir sur la demande") != std::string::npos);
}

TEST_CASE("web: an élu reads what the directory gives them and acts on nothing", "[web]") {
  WebTown t;
  const std::string adjointe = "h.riviere@champignac.example";  // urbanisme only
  CHECK(t.status(std::string("/demande/") + kUrbanisme, adjointe) == 200);
  CHECK(t.status(std::string("/demande/") + kVoirie, adjointe) == 404);
  CHECK(t.status("/vue", adjointe) == 404);
  const std::string maire = "maire@champignac.example";  // everything
  CHECK(t.status(std::string("/demande/") + kVoirie, maire) == 200);
  CHECK(t.status(std::string("/demande/") + kUrbanisme, maire) == 200);
  CHECK(t.status("/vue", maire) == 200);
  auto c = t.client();
  auto home = c.Get("/", t.as(maire));
  CHECK(home->get_header_value("Location") == "/recherche");
  auto page = c.Get(std::string("/demande/") + kVoirie, t.as(maire));
  CHECK(page->body.find("Agir sur la demande") == std::string::npos);
  auto [value, csrf] = t.session(maire);
  auto act = c.Post(std::string("/demande/") + kVoirie + "/action", {{"Cookie", "guichet_session=" + value}},
                    P{{"csrf", csrf}, {"commande", "note"}, {"valeur", "vu"}});
  CHECK(act->status == 403);
  CHECK(t.events(kVoirie, "note").empty());
  // Someone the directory no longer knows: no rights, whatever their session.
  CHECK(t.status(std::string("/demande/") + kVoirie, "parti@champignac.example") == 303);
}

TEST_CASE("web: every opening of a request is in its history, with who opened it", "[web]") {
  WebTown t;
  REQUIRE(t.status(std::string("/demande/") + kVoirie, "maire@champignac.example") == 200);
  REQUIRE(t.status(std::string("/demande/") + kVoirie, "p.martin@champignac.example") == 200);
  std::vector<std::string> actors;
  for (const auto& e : t.request(kVoirie).events)
    if (e.kind == "viewed") actors.push_back(e.actor);
  CHECK(actors == std::vector<std::string>{"web:maire@champignac.example", "web:p.martin@champignac.example"});
  // A refused opening is not one.
  REQUIRE(t.status(std::string("/demande/") + kUrbanisme, "p.martin@champignac.example") == 404);
  for (const auto& e : t.request(kUrbanisme).events) CHECK(e.kind != "viewed");
}

TEST_CASE("web: a subject <script>alert(1)</script> comes back escaped", "[web]") {
  WebTown t;
  auto c = t.client();
  const std::string escaped = "&lt;script&gt;alert(1)&lt;/script&gt;";
  auto search = c.Get("/recherche?q=secco", t.as("maire@champignac.example"));
  REQUIRE(search->status == 200);
  CHECK(search->body.find(escaped) != std::string::npos);
  CHECK(search->body.find("<script>") == std::string::npos);
  auto page = c.Get(std::string("/demande/") + kUrbanisme, t.as("maire@champignac.example"));
  CHECK(page->body.find(escaped) != std::string::npos);
  CHECK(page->body.find("<script>") == std::string::npos);
  // The query itself, echoed in the box.
  auto echo = c.Get("/recherche?q=%22%3E%3Cscript%3Ex%3C%2Fscript%3E", t.as("maire@champignac.example"));
  CHECK(echo->body.find("<script>x") == std::string::npos);
  CHECK(echo->body.find("&quot;&gt;&lt;script&gt;x") != std::string::npos);
}

TEST_CASE("web: a resident found by a partial, unaccented, any-case name", "[web]") {
  WebTown t;
  auto c = t.client();
  for (const std::string q : {"secco", "SECCOTINE", "mme%20seccotine", "sophie"}) {
    INFO(q);
    auto r = c.Get("/recherche?q=" + q, t.as("m.dupont@champignac.example"));
    CHECK(r->body.find(kUrbanisme) != std::string::npos);
    CHECK(r->body.find(kAttachment) != std::string::npos);
  }
  auto by_ref = c.Get("/recherche?q=2026-2", t.as("m.dupont@champignac.example"));
  CHECK(by_ref->body.find(kUrbanisme) != std::string::npos);
}

TEST_CASE("web: an agent acts on a request from its page, with the form's token", "[web]") {
  WebTown t;
  auto c = t.client();
  auto [value, csrf] = t.session("p.martin@champignac.example");
  const httplib::Headers h{{"Cookie", "guichet_session=" + value}};
  const std::string action = std::string("/demande/") + kVoirie + "/action";
  // Without the token, or with another: refused, nothing done.
  CHECK(c.Post(action, h, P{{"commande", "note"}, {"valeur", "appelé"}})->status == 400);
  CHECK(c.Post(action, h, P{{"csrf", csrf + "x"}, {"commande", "note"}, {"valeur", "appelé"}})->status == 400);
  CHECK(t.events(kVoirie, "note").empty());
  auto page = c.Get(std::string("/demande/") + kVoirie, h);
  CHECK(field(page->body, "csrf") == csrf);
  auto note = c.Post(action, h, P{{"csrf", csrf}, {"commande", "note"}, {"valeur", "Appelée le 3, passe jeudi"}});
  REQUIRE(note->status == 200);
  REQUIRE(t.events(kVoirie, "note").size() == 1);
  CHECK(t.events(kVoirie, "note")[0]["text"] == "Appelée le 3, passe jeudi");
  auto closed = c.Post(action, h, P{{"csrf", csrf}, {"commande", "statut"}, {"valeur", "clos"}});
  REQUIRE(closed->status == 200);
  CHECK(t.request(kVoirie).status == store::RequestStatus::closed);
  auto unknown = c.Post(action, h, P{{"csrf", csrf}, {"commande", "supprimer"}, {"valeur", "tout"}});
  CHECK(unknown->status == 400);
}

TEST_CASE("web: the front desk records a letter with its scan, the resident as requester, a bad form stored nowhere",
          "[web][intake]") {
  WebTown t;
  auto c = t.client();
  const std::string desk = "c.garnier@champignac.example";  // accueil: records for every service
  auto [value, csrf] = t.session(desk);
  const httplib::Headers h{{"Cookie", "guichet_session=" + value}};
  auto form = c.Get("/nouvelle-demande", h);
  REQUIRE(form->status == 200);
  CHECK(field(form->body, "csrf") == csrf);
  CHECK(form->body.find("enctype=\"multipart/form-data\"") != std::string::npos);
  CHECK(c.Get("/mes-demandes", h)->body.find("href=\"/nouvelle-demande\"") != std::string::npos);
  // An élu records nothing; nobody without the form's token does.
  CHECK(t.status("/nouvelle-demande", "maire@champignac.example") == 403);
  const std::int64_t before = *t.st->count_requests();
  using Items = httplib::MultipartFormDataItems;
  CHECK(c.Post("/nouvelle-demande", h,
               Items{{"canal", "courrier", "", ""}, {"demandeur", "M. Gaston", "", ""}, {"texte", "x", "", ""}})
            ->status == 400);
  // Not an address, a day to come: refused with the reasons, what was typed kept (escaped), nothing stored.
  auto bad = c.Post("/nouvelle-demande", h,
                    Items{{"csrf", csrf, "", ""},
                          {"canal", "telephone", "", ""},
                          {"demandeur", "Mme <b>Seccotine</b>", "", ""},
                          {"courriel", "pas-une-adresse", "", ""},
                          {"recu_le", "2027-01-15", "", ""},
                          {"texte", "Le trottoir est défoncé devant le 4 rue Pasteur.", "", ""}});
  REQUIRE(bad->status == 422);
  CHECK(bad->body.find("Rien n'a été enregistré") != std::string::npos);
  CHECK(bad->body.find("pas-une-adresse") != std::string::npos);
  CHECK(bad->body.find("Mme &lt;b&gt;Seccotine&lt;/b&gt;") != std::string::npos);
  CHECK(bad->body.find("<b>Seccotine") == std::string::npos);
  CHECK(*t.st->count_requests() == before);
  // A letter with its scan and no address: recorded, the acknowledgement to the desk to hand over.
  const std::string pdf = "%PDF-1.4\n% lettre de M. Lagaffe\n";
  auto ok = c.Post("/nouvelle-demande", h,
                   Items{{"csrf", csrf, "", ""},
                         {"canal", "courrier", "", ""},
                         {"demandeur", "M. Gaston Lagaffe", "", ""},
                         {"adresse", "3 rue des Gaffes, 99123 Champignac", "", ""},
                         {"objet", "Trottoir défoncé rue Pasteur", "", ""},
                         {"recu_le", "2026-12-01", "", ""},
                         {"texte", "Le trottoir est défoncé devant le 4 rue Pasteur.", "", ""},
                         {"piece", pdf, "C:\\Scans\\lettre-lagaffe.pdf", "application/pdf"}});
  REQUIRE(ok->status == 303);
  const std::string location = ok->get_header_value("Location");
  REQUIRE(location.rfind("/nouvelle-demande/2026-", 0) == 0);
  const std::string reference = location.substr(std::string("/nouvelle-demande/").size());
  auto done = c.Get(location, h);
  REQUIRE(done->status == 200);
  CHECK(done->body.find(reference + "</strong>") != std::string::npos);
  CHECK(done->body.find("vous est envoyé par courriel, à lui remettre") != std::string::npos);
  const auto r = t.request(reference);
  CHECK(r.channel == "courrier");
  CHECK(r.requester.name == "M. Gaston Lagaffe");
  CHECK(r.requester_postal == "3 rue des Gaffes, 99123 Champignac");
  CHECK(calendar::local_date(r.received_at).iso() == "2026-12-01");
  REQUIRE(r.messages.size() == 1);
  REQUIRE(r.messages[0].attachments.size() == 1);
  CHECK(r.messages[0].attachments[0].filename == "lettre-lagaffe.pdf");
  CHECK(*t.st->blob(r.messages[0].attachments[0].sha256) == pdf);
  CHECK(t.events(reference, "acknowledgement_handed").size() == 1);
  CHECK(t.events(reference, "created")[0]["recorded_by"] == "cgarnier");
  // The confirmation is the desk's; another agent who may not see the request gets 404.
  CHECK(t.status(location, "l.bernard@champignac.example") == 404);
  // A scan over 8 Mo: refused with the reason, nothing stored; a body over the server's 9 MiB: 413.
  const std::int64_t recorded = *t.st->count_requests();
  const std::string token = csrf;  // a structured binding cannot be captured before C++23's clang
  auto heavy = [&](size_t bytes) {
    return c.Post("/nouvelle-demande", h,
                  Items{{"csrf", token, "", ""},
                        {"canal", "courrier", "", ""},
                        {"demandeur", "M. Gaston Lagaffe", "", ""},
                        {"texte", "Lettre scannée en couleur.", "", ""},
                        {"piece", std::string(bytes, 'x'), "lettre.pdf", "application/pdf"}});
  };
  auto too_big = heavy((8u << 20) + 1);
  REQUIRE(too_big);
  CHECK(too_big->status == 422);
  CHECK(too_big->body.find("Le fichier dépasse 8 Mo") != std::string::npos);
  auto over_limit = heavy(10u << 20);
  REQUIRE(over_limit);
  CHECK(over_limit->status == 413);
  CHECK(*t.st->count_requests() == recorded);
}

TEST_CASE("web: an attachment is a download, never a page", "[web]") {
  WebTown t;
  auto c = t.client();
  auto page = c.Get(std::string("/demande/") + kAttachment, t.as("m.dupont@champignac.example"));
  REQUIRE(page->body.find("/demande/2026-000003/piece/1/1") != std::string::npos);
  auto file = c.Get("/demande/2026-000003/piece/1/1", t.as("m.dupont@champignac.example"));
  REQUIRE(file->status == 200);
  CHECK(file->body.rfind("%PDF-1.4", 0) == 0);
  CHECK(file->get_header_value("Content-Type") == "application/octet-stream");
  CHECK(file->get_header_value("Content-Disposition") == "attachment; filename*=UTF-8''plan.pdf");
  CHECK(file->get_header_value("Content-Security-Policy").find("sandbox") == 0);
  CHECK(c.Get("/demande/2026-000003/piece/1/2", t.as("m.dupont@champignac.example"))->status == 404);
  CHECK(c.Get("/demande/2026-000003/piece/9/1", t.as("m.dupont@champignac.example"))->status == 404);
}

TEST_CASE("web: a session ends when unused for days, and at logout", "[web]") {
  WebTown t;
  auto c = t.client();
  const auto [stale, stale_csrf] = t.session("p.martin@champignac.example", t.clock.now() - 8 * 86400);
  auto r = c.Get("/recherche", {{"Cookie", "guichet_session=" + stale}});
  CHECK(r->status == 303);
  auto gone = t.st->web().session(sha256_hex(stale));
  REQUIRE(gone);
  CHECK(!*gone);
  const auto [value, csrf] = t.session("p.martin@champignac.example");
  const httplib::Headers h{{"Cookie", "guichet_session=" + value}};
  // A logout without the form's token does not end the session (a forged form cannot).
  (void)c.Post("/deconnexion", h, httplib::Params{});
  CHECK(c.Get("/recherche", h)->status == 200);
  auto out = c.Post("/deconnexion", h, P{{"csrf", csrf}});
  CHECK(out->status == 303);
  CHECK(out->get_header_value("Set-Cookie").find("Max-Age=0") != std::string::npos);
  CHECK(c.Get("/recherche", h)->status == 303);
}

TEST_CASE("web: hostile requests get a clear refusal", "[web]") {
  WebTown t;
  auto c = t.client();
  const auto who = t.as("v.durand@champignac.example");
  CHECK(c.Get("/demande/../../etc/passwd", who)->status == 404);
  CHECK(c.Get("/demande/2026-00000a", who)->status == 404);
  CHECK(c.Get("/demande/2026-000001/piece/99999/1", who)->status == 404);
  // A url-encoded form over 8 KiB (httplib's cap for them; ours are a few fields): 413, our page.
  const std::string big(3u << 20, 'a');
  auto huge = c.Post("/connexion", big, "application/x-www-form-urlencoded");
  REQUIRE(huge);
  CHECK(huge->status == 413);
  // A query longer than anyone types: cut, answered.
  auto long_query = c.Get("/recherche?q=" + std::string(5000, 'x'), who);
  CHECK(long_query->status == 200);
  // A forged session cookie: nobody.
  CHECK(c.Get("/recherche", {{"Cookie", "guichet_session=forged"}})->status == 303);
}

TEST_CASE("web: the single sign-on header is believed from the trusted proxy only, and SIGHUP applies a change",
          "[web]") {
  WebTown t("  trusted_proxy: 127.0.0.2\n  proxy_user_header: X-Remote-User\n");
  auto c = t.client();
  const httplib::Headers sso{{"X-Remote-User", "v.durand@champignac.example"}};
  CHECK(c.Get("/recherche", sso)->status == 303);  // from 127.0.0.1, not the proxy
  std::string yaml = test::read_file(t.config_path());
  yaml.replace(yaml.find("127.0.0.2"), 9, "127.0.0.1");
  test::write_file(t.config_path(), yaml);
  t.reload();
  auto in = c.Get("/recherche", sso);
  CHECK(in->status == 200);
  CHECK(in->body.find("Véronique Durand") != std::string::npos);
  CHECK(c.Get("/recherche", {{"X-Remote-User", "inconnu@example.org"}})->status == 303);
  // A broken configuration: refused, the previous one stays.
  test::write_file(t.config_path(), yaml + "web: [\n");
  ::kill(t.web.pid(), SIGHUP);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  CHECK(test::read_file(t.dir.str("web.log")).find("configuration change refused") != std::string::npos);
  CHECK(c.Get("/recherche", sso)->status == 200);
}

namespace {

// GET `url` through the Unix socket `socket_path` (libcurl: cpp-httplib 0.11 speaks TCP only).
std::pair<long, std::string> get_over_unix(const std::string& socket_path, const std::string& path,
                                           const std::string& header = "") {
  CURL* curl = curl_easy_init();
  std::string body;
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path.c_str());
  const std::string url = "http://guichet.champignac.example" + path;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* out) {
        static_cast<std::string*>(out)->append(p, s * n);
        return s * n;
      });
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_slist* headers = header.empty() ? nullptr : curl_slist_append(nullptr, header.c_str());
  if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return {status, body};
}

}  // namespace

TEST_CASE("web: behind a Unix socket, the proxy's header names the person and the port behind answers nobody else",
          "[web]") {
  WebTown t;
  t.web.stop();
  const std::string socket = t.dir.str("web.sock");
  std::string yaml = test::read_file(t.config_path());
  // Behind a socket, whoever may open it is the proxy: the header needs no trusted_proxy.
  yaml.replace(yaml.find("listen: 127.0.0.1:"), 7 + 11 + std::to_string(t.port_).size(), "listen: unix:web.sock");
  yaml += "  proxy_user_header: X-Remote-User\n";
  test::write_file(t.config_path(), yaml);
  t.web.start({GUICHET_BIN, "--config", t.config_path(), "--now", "2026-12-03T10:30", "web"}, t.dir.str("web.log"));
  for (int i = 0; i < 100 && !std::filesystem::exists(socket); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  INFO(yaml << test::read_file(t.dir.str("web.log")));
  REQUIRE(std::filesystem::exists(socket));
  CHECK((std::filesystem::status(socket).permissions() & std::filesystem::perms::others_all) ==
        std::filesystem::perms::none);
  auto [login, login_body] = get_over_unix(socket, "/connexion");
  CHECK(login == 200);
  CHECK(login_body.find("Connexion") != std::string::npos);
  auto [in, page] =
      get_over_unix(socket, std::string("/demande/") + kVoirie, "X-Remote-User: p.martin@champignac.example");
  CHECK(in == 200);
  CHECK(page.find("Lampadaire éteint rue Pasteur") != std::string::npos);
  auto [other, ignored] =
      get_over_unix(socket, std::string("/demande/") + kUrbanisme, "X-Remote-User: p.martin@champignac.example");
  CHECK(other == 404);
  // The loopback port the socket is relayed to: a local user reaching it directly gets nothing.
  std::smatch m;
  const std::string log = test::read_file(t.dir.str("web.log"));
  REQUIRE(std::regex_search(log, m, std::regex("relayed to 127\\.0\\.0\\.1:([0-9]+)")));
  httplib::Client direct("127.0.0.1", std::stoi(m[1].str()));
  auto r = direct.Get(std::string("/demande/") + kVoirie, {{"X-Remote-User", "p.martin@champignac.example"}});
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(r->body.find("Lampadaire") == std::string::npos);
  t.web.stop();
  CHECK(!std::filesystem::exists(socket));  // removed at a clean stop
}

TEST_CASE("shorten cuts on whole characters, with an ellipsis", "[web][strings]") {
  CHECK(shorten("Enfance, écoles et périscolaire", 24) == "Enfance, écoles et péri…");
  CHECK(shorten("État civil", 24) == "État civil");
  CHECK(shorten("ééééé", 5) == "ééééé");
  CHECK(shorten("éééééé", 5) == "éééé…");
  CHECK(shorten("", 3).empty());
}

TEST_CASE("guichet web link prints a one-time link for someone the directory knows, and only them", "[web][cli]") {
  WebTown t;
  auto printed = test::run_guichet("web link Maire@Champignac.example --now 2026-12-03T10:30 " + t.args());
  REQUIRE(printed.status == 0);
  CHECK(printed.err.find("Jean Moreau") != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(printed.out, m, std::regex("/connexion/lien\\?t=([A-Za-z0-9_-]+)")));
  auto c = t.client();
  const std::string token = form_cookie(c.Get("/connexion"));
  auto in = c.Post("/connexion/lien", {{"Cookie", "guichet_form=" + token}}, P{{"csrf", token}, {"t", m[1].str()}});
  CHECK(in->status == 303);
  CHECK(in->get_header_value("Set-Cookie").find("guichet_session=") == 0);
  auto stranger = test::run_guichet("web link pirate@example.org " + t.args());
  CHECK(stranger.status == 65);
  CHECK(stranger.err.find("not in the directory") != std::string::npos);
  CHECK(stranger.out.empty());
}
