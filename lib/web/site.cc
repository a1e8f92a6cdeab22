#include "web/site.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <atomic>
#include <list>
#include <mutex>
#include <set>
#include <thread>

#include "calendar/calendar.h"
#include "util/sha256.h"
#include "util/strings.h"
#include "web/assets.h"
#include "web/context.h"

namespace guichet::web {

namespace {

// A request body beyond 9 MiB is refused (413): the largest is "Nouvelle demande" with a letter's
// scan (8 Mo, page_new.cc) and its fields.
constexpr size_t kMaxBody = 9u << 20;

struct Compiled {
  std::map<std::string, std::unique_ptr<kainjow::mustache::mustache>> pages;
};

const Compiled& compiled() {
  static const Compiled c = [] {
    Compiled out;
    for (const auto& [name, text] : web_files()) {
      if (name.size() < 9 || name.substr(name.size() - 9) != ".mustache") continue;
      auto m = std::make_unique<kainjow::mustache::mustache>(text);
      if (!m->is_valid()) throw std::runtime_error("web template " + name + ": " + m->error_message());
      out.pages.emplace(name.substr(0, name.size() - 9), std::move(m));
    }
    return out;
  }();
  return c;
}

std::string render(const std::string& page, const Data& data) {
  auto it = compiled().pages.find(page);
  if (it == compiled().pages.end()) return "";
  return it->second->render(data);
}

// The client: the peer, or what the trusted proxy says it is (behind a Unix socket, the proxy is
// whoever may open the socket).
std::string client_of(const httplib::Request& req, const config::Web& web) {
  std::string client = req.remote_addr;
  const bool via_unix = istarts_with(web.listen, "unix:");
  if (via_unix || (!web.trusted_proxy.empty() && client == web.trusted_proxy)) {
    std::string forwarded = req.get_header_value("X-Forwarded-For");
    if (const size_t comma = forwarded.rfind(','); comma != std::string::npos) forwarded = forwarded.substr(comma + 1);
    if (!trim(forwarded).empty()) client = std::string(trim(forwarded));
  }
  return client.empty() ? "local" : client;
}

void security_headers(httplib::Response& res) {
  // No script at all; styles and images from the site only; never framed.
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                 "base-uri 'none'; object-src 'none'");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
  res.set_header("Cross-Origin-Resource-Policy", "same-origin");
  res.set_header("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()");
  res.set_header("Strict-Transport-Security", "max-age=31536000");
  if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
}

}  // namespace

struct Site::Impl {
  Impl(std::shared_ptr<const engine::Setup> s, std::string db, const Clock& c)
      : setup(std::move(s)), database(std::move(db)), clock(c) {}

  mutable std::mutex mu;
  std::shared_ptr<const engine::Setup> setup;
  const std::string database;
  const Clock& clock;

  std::shared_ptr<const engine::Setup> current() const {
    std::lock_guard lock(mu);
    return setup;
  }

  // One connection per worker thread (SQLite connections are not shared between threads).
  Result<store::Store*> store() const {
    thread_local std::optional<store::Store> mine;
    thread_local std::string path;
    if (!mine || path != database) {
      auto st = store::Store::open(database);
      if (!st) return st.error();
      mine.emplace(std::move(*st));
      path = database;
    }
    return &*mine;
  }

  // Who is asking: the proxy's single sign-on header, else the session cookie.
  void identify(Ctx& c) const {
    const config::Web& web = c.config().web;
    const directory::Directory* dir = c.directory();
    if (!dir) return;
    const bool from_proxy = istarts_with(web.listen, "unix:") || (!web.trusted_proxy.empty() && c.req.remote_addr == web.trusted_proxy);
    if (!web.proxy_user_header.empty() && from_proxy) {
      const std::string who = c.req.get_header_value(web.proxy_user_header);
      if (!who.empty()) {
        c.person = person_for(*dir, to_lower(who));
        c.sso = c.person.has_value();
        // A form token for the SSO person: bound to their address and the day.
        c.csrf = sha256_hex("sso:" + who + ":" + std::to_string(c.now / 86400)).substr(0, 32);
        if (c.sso) return;
      }
    }
    const std::string value = cookie(c.req, kSessionCookie);
    if (value.empty()) return;
    c.session_hash = sha256_hex(value);
    auto session = c.store.web().session(c.session_hash);
    if (!session || !*session) return;
    if (c.now - (*session)->last_seen_at > static_cast<std::int64_t>(web.session_idle_days) * 86400 ||
        c.now - (*session)->created_at > 30 * 86400) {
      (void)c.store.web().drop_session(c.session_hash);
      return;
    }
    c.person = person_for(*dir, (*session)->address);
    if (!c.person) return;  // no longer in the directory: no rights at all
    c.csrf = (*session)->csrf;
    if (c.now - (*session)->last_seen_at > 60) (void)c.store.web().touch_session(c.session_hash, c.now);
  }
};

Site::Site(std::shared_ptr<const engine::Setup> setup, std::string database, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(setup), std::move(database), clock)) {
  (void)compiled();  // a broken template stops the start, not a page
}

Site::~Site() = default;

void Site::reload(std::shared_ptr<const engine::Setup> setup) {
  std::lock_guard lock(impl_->mu);
  impl_->setup = std::move(setup);
}

namespace {

// Runs `page` with the context of this request: the store of this thread, who is asking.
template <class F>
httplib::Server::Handler handler(Site::Impl& site, bool needs_person, F page) {
  return [&site, needs_person, page](const httplib::Request& req, httplib::Response& res) {
    auto store = site.store();
    auto setup = site.current();
    if (!store) {
      spdlog::error("web: {}", store.error().message);
      res.status = 503;
      res.set_content("guichet: la base de données est indisponible, réessayez dans un instant.\n",
                      "text/plain; charset=utf-8");
      return;
    }
    Ctx c{req, res, setup, **store, site.clock.now(), client_of(req, setup->config.web), {}, {}, {}, false};
    site.identify(c);
    if (needs_person && !c.person) {
      redirect(c, "/connexion");
      return;
    }
    page(c);
  };
}

}  // namespace

void Site::mount(httplib::Server& server) {
  Impl& s = *impl_;
  server.set_payload_max_length(kMaxBody);
  server.set_read_timeout(10);
  server.set_write_timeout(30);
  server.set_keep_alive_max_count(100);
  // Headers and body leave in separate writes: without this, Nagle's algorithm and the proxy's
  // delayed ACK add 40 ms to every page on a kept-alive connection (measured: bench/search.sh).
  server.set_tcp_nodelay(true);
  server.Get("/style.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=3600");
    res.set_content(web_files().at("style.css"), "text/css; charset=utf-8");
  });
  server.Get("/favicon.svg", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "max-age=86400");
    res.set_content(web_files().at("favicon.svg"), "image/svg+xml");
  });
  server.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) {  // browsers ask anyway
    res.status = 301;
    res.set_header("Location", "/favicon.svg");
  });
  server.Get("/", handler(s, false, [](Ctx& c) {
    if (!c.person) return redirect(c, "/connexion");
    redirect(c, c.person->agent ? "/mes-demandes" : "/recherche");
  }));
  server.Get("/connexion", handler(s, false, page_login));
  server.Post("/connexion", handler(s, false, page_login_post));
  server.Get("/connexion/lien", handler(s, false, page_link));
  server.Post("/connexion/lien", handler(s, false, page_link_post));
  server.Post("/deconnexion", handler(s, true, page_logout));
  server.Get("/recherche", handler(s, true, page_search));
  server.Get("/mes-demandes", handler(s, true, page_mine));
  server.Get("/vue", handler(s, true, page_live));
  server.Get("/nouvelle-demande", handler(s, true, page_new));
  server.Post("/nouvelle-demande", handler(s, true, page_new_post));
  server.Get(R"(/nouvelle-demande/([0-9]{4}-[0-9]{6}))",
             handler(s, true, [](Ctx& c) { page_new_done(c, c.req.matches[1]); }));
  server.Get("/chiffres", handler(s, true, page_figures));
  server.Get(R"(/demande/(M?[0-9]{4}-[0-9]{6}))",
             handler(s, true, [](Ctx& c) { page_request(c, c.req.matches[1]); }));
  server.Post(R"(/demande/(M?[0-9]{4}-[0-9]{6})/action)",
              handler(s, true, [](Ctx& c) { page_action(c, c.req.matches[1]); }));
  server.Get(R"(/demande/(M?[0-9]{4}-[0-9]{6})/piece/([0-9]{1,4})/([0-9]{1,4}))", handler(s, true, [](Ctx& c) {
               page_attachment(c, c.req.matches[1], std::stoi(c.req.matches[2]), std::stoi(c.req.matches[3]));
             }));
  // Anything else, and the library's own errors (a body too large, a bad request): our page.
  // (cpp-httplib calls this for every status from 400 on: a page of ours already has its body.)
  server.set_error_handler(httplib::Server::HandlerWithResponse([&s](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const int status = res.status;
    const char* heading = status == 404 ? "Page introuvable" : status == 413 ? "Envoi trop volumineux" : "Requête refusée";
    Data d;
    d.set("heading", std::string(heading));
    d.set("message", std::string(status == 404 ? "Cette page n'existe pas." : "La requête n'a pas pu être traitée."));
    Data layout;
    layout.set("title", std::string(heading));
    layout.set("commune", s.current()->config.commune);
    layout.set("content", render("erreur", d));
    layout.set("person", false);
    res.set_content(render("layout", layout), "text/html; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  }));
  server.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) { security_headers(res); });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, const std::exception_ptr& ep) {
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      spdlog::error("web: internal error: {}", e.what());
    }
    res.status = 500;
    res.set_content("guichet: erreur interne, consignée dans le journal.\n", "text/plain; charset=utf-8");
  });
}

// ---- the helpers of context.h ----

void send_page(Ctx& c, const std::string& page, const std::string& title, const Data& data, int status) {
  Data layout;
  layout.set("title", title);
  layout.set("commune", c.config().commune);
  layout.set("content", render(page, data));
  if (c.person) {
    Data p;
    p.set("name", c.person->name);
    p.set("csrf", c.csrf);
    p.set("agent", c.person->agent != nullptr);
    p.set("overview", c.person->overview);
    p.set("nav_search", page == "recherche");
    p.set("nav_mine", page == "mes-demandes");
    p.set("nav_new", page == "nouvelle-demande");
    p.set("nav_live", page == "vue");
    p.set("nav_figures", page == "chiffres");
    layout.set("person", p);
  } else {
    layout.set("person", false);
  }
  c.res.status = status;
  c.res.set_content(render("layout", layout), "text/html; charset=utf-8");
}

void send_error(Ctx& c, int status, const std::string& heading, const std::string& message) {
  Data d;
  d.set("heading", heading);
  d.set("message", message);
  send_page(c, "erreur", heading, d, status);
}

// The same answer for a request that does not exist and one the person may not see.
void send_not_found(Ctx& c) { send_error(c, 404, "Page introuvable", "Cette demande n'existe pas, ou vous n'y avez pas accès."); }

void redirect(Ctx& c, const std::string& to) {
  c.res.status = 303;
  c.res.set_header("Location", to);
}

Data option_item(const std::string& value, const std::string& label, bool selected) {
  Data o;
  o.set("value", value);
  o.set("label", label);
  o.set("selected", selected);
  return o;
}

std::string form_field(const httplib::Request& req, const std::string& name) {
  if (req.has_param(name)) return req.get_param_value(name);
  if (req.has_file(name)) return req.get_file_value(name).content;  // multipart/form-data
  return {};
}

bool csrf_ok(const Ctx& c, const std::string& expected) {
  const std::string given = form_field(c.req, "csrf");
  if (expected.empty() || given.size() != expected.size()) return false;
  unsigned char diff = 0;  // constant time
  for (size_t i = 0; i < given.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return diff == 0;
}

std::string cookie(const httplib::Request& req, const std::string& name) {
  const std::string all = req.get_header_value("Cookie");
  for (auto part : split(all, ';')) {
    part = trim(part);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=')
      return std::string(part.substr(name.size() + 1));
  }
  return "";
}

std::string random_token() {
  unsigned char bytes[33];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (size_t i = 0; i + 2 < sizeof bytes; i += 3) {
    const unsigned v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    for (int k = 18; k >= 0; k -= 6) out.push_back(b64[(v >> k) & 63]);
  }
  return out;
}

std::string session_cookie(const std::string& value, int max_age_seconds) {
  return std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=" +
         std::to_string(max_age_seconds);
}

std::string when(std::int64_t t) { return calendar::french_date_time(t).substr(3); }

Data request_row(const store::RequestInfo& r) {
  Data e;
  e.set("reference", r.reference);
  e.set("status", std::string(store::name(r.status)));
  e.set("status_label", status_label(r.status));
  e.set("subject", r.subject.empty() ? std::string("(sans objet)") : r.subject);
  e.set("requester", r.requester.name.empty() ? r.requester.address : r.requester.name);
  set_text(e, "channel_label", channel_label(r.channel));
  return e;
}

std::string channel_label(const std::string& channel) {
  if (channel == "telephone") return "reçue par téléphone";
  if (channel == "guichet") return "reçue au guichet";
  if (channel == "courrier") return "reçue par courrier";
  return "";
}

bool is_late(const store::RequestInfo& r, std::int64_t now) {
  return r.response_due_on && *r.response_due_on < calendar::local_date(now).iso() &&
         (r.status == store::RequestStatus::new_request || r.status == store::RequestStatus::open);
}

std::string status_label(store::RequestStatus s) {
  switch (s) {
    case store::RequestStatus::new_request: return "Nouvelle";
    case store::RequestStatus::open: return "À traiter";
    case store::RequestStatus::answered: return "Répondue";
    case store::RequestStatus::waiting: return "En attente du demandeur";
    case store::RequestStatus::closed: return "Close";
  }
  return "";
}

std::string department_name(const Ctx& c, const std::optional<std::string>& id) {
  if (!id) return "—";
  if (const auto* dir = c.directory())
    if (const auto* d = dir->department(*id)) return d->name;
  return *id;
}

std::string agent_name(const Ctx& c, const std::optional<std::string>& id) {
  if (!id) return "personne";
  if (const auto* dir = c.directory())
    if (const auto* a = dir->agent(*id)) return a->first_name + " " + a->last_name;
  return *id;
}

// ---- listening ----

namespace {

// cpp-httplib 0.11 listens on TCP only. For a Unix socket (a reverse proxy on the same host),
// guichet accepts on the socket itself and relays each connection, byte for byte, to the server
// listening on a loopback port of its own; that server refuses any connection that is not one of
// these relays (a local user reaching the port directly), by its source port.
class Relays {
 public:
  void add(int port) {
    std::lock_guard lock(mu_);
    ports_.insert(port);
  }
  void remove(int port) {
    std::lock_guard lock(mu_);
    ports_.erase(port);
  }
  bool has(int port) const {
    std::lock_guard lock(mu_);
    return ports_.count(port) > 0;
  }

 private:
  mutable std::mutex mu_;
  std::set<int> ports_;
};

void relay(int a, int b) {
  char buf[65536];
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, 60000) <= 0) return;  // idle for a minute: closed
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) return;
      for (ssize_t off = 0; off < n;) {
        const ssize_t w = ::write(fds[1 - i].fd, buf + off, static_cast<size_t>(n - off));
        if (w <= 0) return;
        off += w;
      }
    }
  }
}

Result<void> serve_unix(Site& site, const std::string& path, const std::function<bool()>& stop) {
  httplib::Server server;
  site.mount(server);
  Relays relays;
  server.set_pre_routing_handler([&relays](const httplib::Request& req, httplib::Response& res) {
    if (relays.has(req.remote_port)) return httplib::Server::HandlerResponse::Unhandled;
    res.status = 403;
    res.set_content("guichet: this port serves the Unix socket only\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) return make_error(Errc::temp_fail, "web: cannot open the loopback port behind unix:" + path);
  std::thread http([&] { server.listen_after_bind(); });
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  bool ok = fd >= 0 && path.size() < sizeof addr.sun_path;
  if (ok) {
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    ::unlink(path.c_str());
    // Created 0660 at once: a chmod after bind() left a moment in which anyone could connect (a
    // test under ASan saw the socket 0755). umask is per process: other threads creating a file
    // in this instant get a stricter mode, never a looser one.
    const mode_t previous = ::umask(0117);
    ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::umask(previous);
    ok = ok && ::listen(fd, 64) == 0;
  }
  if (!ok) {
    server.stop();
    http.join();
    if (fd >= 0) ::close(fd);
    return make_error(Errc::temp_fail, "web: cannot listen on unix:" + path + ": " + std::strerror(errno));
  }
  ::chmod(path.c_str(), 0660);  // the proxy's group may connect; nobody else (whatever umask said)
  spdlog::info("web: listening on unix:{} (relayed to 127.0.0.1:{}, which answers these relays only)", path, port);
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Connection> connections;
  while (!stop()) {
    // Relays that ended are joined here, so a long-running process keeps no dead threads.
    connections.remove_if([](Connection& k) {
      if (!k.done->load()) return false;
      k.thread.join();
      return true;
    });
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 500) <= 0) continue;
    const int client = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (upstream < 0 || ::connect(upstream, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      ::close(client);
      if (upstream >= 0) ::close(upstream);
      continue;
    }
    sockaddr_in local{};
    socklen_t len = sizeof local;
    ::getsockname(upstream, reinterpret_cast<sockaddr*>(&local), &len);
    const int source_port = ntohs(local.sin_port);
    relays.add(source_port);
    auto done = std::make_shared<std::atomic<bool>>(false);
    connections.push_back({std::thread([&relays, client, upstream, source_port, done] {
                             relay(client, upstream);
                             relays.remove(source_port);
                             ::close(client);
                             ::close(upstream);
                             done->store(true);
                           }),
                           done});
  }
  ::close(fd);
  ::unlink(path.c_str());
  server.stop();
  http.join();
  for (auto& k : connections) k.thread.join();
  return {};
}

}  // namespace

Result<void> serve(Site& site, const std::string& listen, const std::function<bool()>& stop) {
  if (istarts_with(listen, "unix:")) return serve_unix(site, listen.substr(5), stop);
  httplib::Server server;
  site.mount(server);
  const size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);  // [::1]
  const int port = std::stoi(listen.substr(colon + 1));
  if (!server.bind_to_port(host, port)) return make_error(Errc::temp_fail, "web: cannot listen on " + listen);
  spdlog::info("web: listening on http://{}", listen);
  std::thread watcher([&] {
    while (!stop()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server.stop();
  });
  server.listen_after_bind();
  watcher.join();
  return {};
}

}  // namespace guichet::web
