// Logging in without a password: a person gives their address; if the directory knows it (an
// agent, a head, the pilot, an élu), a one-time link goes to it through the outbox (15 minutes,
// once). The answer is the same for an unknown address. Requests for links are limited per
// address and per client. Opening the link shows a button: the session starts only when it is
// pressed, so that a mail scanner that follows links does not use it up.
#include <spdlog/spdlog.h>

#include "engine/outbox.h"
#include "mail/address.h"
#include "util/json.h"
#include "util/sha256.h"
#include "util/strings.h"
#include "web/context.h"
#include "web/links.h"

namespace guichet::web {

namespace {

constexpr int kLinksPerAddressPerHour = 5;
constexpr int kAttemptsPerClientPerHour = 30;

// The form's own CSRF token before there is a session: a cookie and a hidden field that must agree.
std::string form_token(Ctx& c) {
  std::string token = cookie(c.req, kFormCookie);
  if (token.size() < 32) {
    token = random_token();
    c.res.set_header("Set-Cookie", std::string(kFormCookie) + "=" + token + "; Path=/connexion; HttpOnly; Secure; SameSite=Strict");
  }
  return token;
}

std::string sender(const Ctx& c) {
  const config::Config& cfg = c.config();
  if (cfg.smtp && !cfg.smtp->from.empty()) return cfg.smtp->from;
  for (const auto& mb : cfg.mailboxes)
    if (!mb.address.empty()) return mb.address;
  return "";
}

// The link, in a mail through the outbox (`guichet serve` sends it).
Result<void> queue_link(Ctx& c, const Person& person, const std::string& address) {
  const std::string from = sender(c);
  if (!c.config().smtp) return make_error(Errc::config, "no smtp: configured: nothing can be sent");
  if (!mail::valid_address(from)) return make_error(Errc::config, "no sender address (smtp.from or a mailbox's address)");
  auto link = new_login_link(c.store, c.config().web, address, c.now);
  if (!link) return link.error();
  templates::Data data;
  data.set("commune", c.config().commune);
  templates::Data r;
  r.set("first_name", person.agent ? person.agent->first_name : person.name);
  r.set("email", address);
  data.set("recipient", r);
  data.set("link", *link);
  data.set("delay", std::to_string(c.config().web.link_minutes) + " minutes");
  auto body = c.setup->templates.render(templates::kLoginLink, data);
  if (!body) return body.error();
  mail::Outgoing out;
  out.from = mail::Address{"guichet " + c.config().commune, from};
  out.to = mail::Address{person.name, address};
  out.subject = "[guichet] Votre lien de connexion";
  out.auto_submitted = "auto-generated";
  out.body = std::move(*body);
  auto q = engine::queue_mail(c.store, store::OutboxKind::login, std::nullopt, std::move(out), c.config().smtp->retry_hours,
                              c.now);
  if (!q) return q.error();
  return {};
}

}  // namespace

void page_login(Ctx& c) {
  if (c.person) return redirect(c, "/");
  Data d;
  d.set("csrf", form_token(c));
  d.set("link_minutes", std::to_string(c.config().web.link_minutes));
  send_page(c, "connexion", "Connexion", d);
}

void page_login_post(Ctx& c) {
  if (!csrf_ok(c, cookie(c.req, kFormCookie)))
    return send_error(c, 400, "Formulaire expiré", "Rechargez la page de connexion et recommencez.");
  const std::string address = to_lower(std::string(trim(c.req.has_param("adresse") ? c.req.get_param_value("adresse") : "")));
  if (address.size() > 254 || !mail::valid_address(address))
    return send_error(c, 400, "Adresse invalide", "Indiquez une adresse de courriel, par exemple prenom.nom@mairie.fr.");
  store::WebLogins logins = c.store.web();
  const std::int64_t hour_ago = c.now - 3600;
  auto per_client = logins.attempts("client:" + c.client, hour_ago);
  auto per_address = logins.attempts("address:" + address, hour_ago);
  if (!per_client || !per_address) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  if (*per_client >= kAttemptsPerClientPerHour || *per_address >= kLinksPerAddressPerHour) {
    spdlog::warn("web: login links refused for {} from {}: too many in an hour", address, c.client);
    return send_error(c, 429, "Trop de demandes", "Trop de liens demandés en une heure : réessayez plus tard.");
  }
  auto tx = c.store.transaction();
  if (!tx) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  (void)logins.add_attempt("client:" + c.client, c.now);
  (void)logins.add_attempt("address:" + address, c.now);
  const auto* dir = c.directory();
  const auto person = dir ? person_for(*dir, address) : std::nullopt;
  if (person) {
    if (auto queued = queue_link(c, *person, address); !queued)
      // The same answer as for anyone: what went wrong is for the log, not for the form.
      spdlog::error("web: no login link for {}: {}", address, queued.error().message);
    else
      spdlog::info("web: login link queued for {} (from {})", address, c.client);
  } else {
    spdlog::info("web: login asked for {} (unknown, from {}): nothing sent", address, c.client);
  }
  if (auto r = tx->commit(); !r) return send_error(c, 503, "Indisponible", r.error().message);
  Data d;
  d.set("address", address);
  d.set("link_minutes", std::to_string(c.config().web.link_minutes));
  send_page(c, "connexion-envoyee", "Vérifiez votre messagerie", d);
}

void page_link(Ctx& c) {
  const std::string token = c.req.has_param("t") ? c.req.get_param_value("t") : "";
  Data d;
  d.set("link_minutes", std::to_string(c.config().web.link_minutes));
  d.set("csrf", form_token(c));
  d.set("token", token);
  // Opening the link does not use it: the button does.
  auto address = token.size() >= 32 && token.size() <= 64
                     ? c.store.web().peek_link(sha256_hex(token), c.now - c.config().web.link_minutes * 60)
                     : Result<std::optional<std::string>>(std::optional<std::string>{});
  if (!address) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  d.set("valid", address->has_value());
  d.set("address", address->value_or(""));
  if (!address->has_value()) return send_page(c, "connexion-lien", "Lien expiré", d, 403);
  send_page(c, "connexion-lien", "Se connecter", d);
}

void page_link_post(Ctx& c) {
  if (!csrf_ok(c, cookie(c.req, kFormCookie)))
    return send_error(c, 400, "Formulaire expiré", "Ouvrez de nouveau le lien reçu par courriel.");
  const std::string token = c.req.has_param("t") ? c.req.get_param_value("t") : "";
  store::WebLogins logins = c.store.web();
  auto tx = c.store.transaction();
  if (!tx) return send_error(c, 503, "Indisponible", "Réessayez dans un instant.");
  auto address = logins.use_link(sha256_hex(token), c.now - c.config().web.link_minutes * 60, c.now);
  if (!address || !*address) {
    Data d;
    d.set("valid", false);
    d.set("link_minutes", std::to_string(c.config().web.link_minutes));
    return send_page(c, "connexion-lien", "Lien expiré", d, 403);
  }
  const auto* dir = c.directory();
  if (!dir || !person_for(*dir, **address)) return send_error(c, 403, "Accès refusé", "Cette adresse n'a plus accès à guichet.");
  const std::string value = random_token();
  store::WebSession s{**address, random_token(), c.now, c.now};
  if (auto r = logins.put_session(sha256_hex(value), s); !r) return send_error(c, 503, "Indisponible", r.error().message);
  // Old sessions and links go at each login.
  (void)logins.expire(c.now - c.config().web.session_idle_days * 86400, c.now - 30 * 86400, c.now - 86400, c.now - 86400);
  if (auto r = tx->commit(); !r) return send_error(c, 503, "Indisponible", r.error().message);
  spdlog::info("web: {} logged in from {}", **address, c.client);
  c.res.set_header("Set-Cookie", session_cookie(value, c.config().web.session_idle_days * 86400));
  redirect(c, "/");
}

void page_logout(Ctx& c) {
  if (!c.sso && csrf_ok(c, c.csrf)) (void)c.store.web().drop_session(c.session_hash);
  c.res.set_header("Set-Cookie", session_cookie("", 0));
  redirect(c, "/connexion");
}

}  // namespace guichet::web
