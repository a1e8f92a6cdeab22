// What every page handler of the web view works with (lib/web, internal): the request and the
// response, the setup and the store of this thread, the person logged in and their CSRF token,
// and the few helpers that write a page. Nothing writes text into a page but through the
// templates (HTML-escaped) or these helpers.
#pragma once

#include <httplib.h>

#include <kainjow/mustache.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/setup.h"
#include "store/store.h"
#include "web/people.h"

namespace guichet::web {

using Data = kainjow::mustache::data;

struct Ctx {
  const httplib::Request& req;
  httplib::Response& res;
  std::shared_ptr<const engine::Setup> setup;
  store::Store& store;
  std::int64_t now = 0;
  std::string client;  // the client's address (X-Forwarded-For from the trusted proxy)
  std::optional<Person> person;
  std::string session_hash, csrf;
  bool sso = false;  // logged in by the proxy's header: no session, no logout

  const config::Config& config() const { return setup->config; }
  const directory::Directory* directory() const { return setup->directory ? &*setup->directory : nullptr; }
};

// Sets `key` to `value`, or to false when it is empty, so that {{#key}}…{{/key}} shows nothing
// (mustache takes any string, even empty, as true).
inline void set_text(Data& d, const std::string& key, const std::string& value) {
  if (value.empty())
    d.set(key, false);
  else
    d.set(key, value);
}

// One choice of a <select> or a group of radio buttons: {{value}}, {{label}}, {{#selected}}.
Data option_item(const std::string& value, const std::string& label, bool selected);

// Renders `page` (etc/web/<page>.mustache, HTML-escaped) inside the layout.
void send_page(Ctx& c, const std::string& page, const std::string& title, const Data& data, int status = 200);
void send_error(Ctx& c, int status, const std::string& heading, const std::string& message);
void send_not_found(Ctx& c);
void redirect(Ctx& c, const std::string& to);
// A form's field, URL-encoded or multipart/form-data (a form with a file); "" when absent.
std::string form_field(const httplib::Request& req, const std::string& name);
// The POST's CSRF token matches the session's (or, before login, the form cookie's).
bool csrf_ok(const Ctx& c, const std::string& expected);
std::string cookie(const httplib::Request& req, const std::string& name);
std::string random_token();  // 264 random bits, 44 URL-safe characters

// "3 décembre 2026 à 14 h 05", "Nouvelle"…
std::string when(std::int64_t t);
std::string status_label(store::RequestStatus s);
// "reçue par téléphone", "reçue au guichet", "reçue par courrier"; "" for mail.
std::string channel_label(const std::string& channel);
// What every list of requests shows of one: reference, status and its label, subject, requester,
// and how it came when not by mail (`channel_label`).
Data request_row(const store::RequestInfo& r);
// The response target passed and nobody has answered yet.
bool is_late(const store::RequestInfo& r, std::int64_t now);
std::string department_name(const Ctx& c, const std::optional<std::string>& id);
std::string agent_name(const Ctx& c, const std::optional<std::string>& id);

// The pages (one file each).
void page_login(Ctx& c);          // GET /connexion
void page_login_post(Ctx& c);     // POST /connexion
void page_link(Ctx& c);           // GET /connexion/lien?t=
void page_link_post(Ctx& c);      // POST /connexion/lien
void page_logout(Ctx& c);         // POST /deconnexion
void page_search(Ctx& c);         // GET /recherche
void page_request(Ctx& c, const std::string& reference, const std::string& notice = "");  // GET /demande/REF
void page_action(Ctx& c, const std::string& reference);  // POST /demande/REF/action
void page_attachment(Ctx& c, const std::string& reference, int message, int attachment);
void page_mine(Ctx& c);           // GET /mes-demandes
void page_new(Ctx& c);            // GET /nouvelle-demande
void page_new_post(Ctx& c);       // POST /nouvelle-demande
void page_new_done(Ctx& c, const std::string& reference);  // GET /nouvelle-demande/REF
void page_live(Ctx& c);           // GET /vue
void page_figures(Ctx& c);        // GET /chiffres

// Session cookies.
inline constexpr const char* kSessionCookie = "guichet_session";
inline constexpr const char* kFormCookie = "guichet_form";
std::string session_cookie(const std::string& value, int max_age_seconds);

}  // namespace guichet::web
