// guichet web [--listen 127.0.0.1:8080 | --listen unix:/run/guichet/web.sock]: the web view
// (lib/web/site.h), a process of its own behind the town's reverse proxy. It reads the database
// the daemon writes; the mail it needs (login links) goes through the outbox the daemon drains.
// SIGTERM stops it; SIGHUP reloads the configuration and the directory (rights change at once).
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "commands.h"
#include "store/store.h"
#include "web/links.h"
#include "web/site.h"

namespace guichet::cli {

namespace {
std::atomic<bool> g_web_stop{false};
std::atomic<bool> g_web_reload{false};
void on_web_signal(int sig) {
  if (sig == SIGHUP)
    g_web_reload = true;
  else
    g_web_stop = true;
}
}  // namespace

Command add_web(CLI::App& web) {
  auto listen = std::make_shared<std::string>();
  Command c;
  c.app = &web;
  web.add_option("--listen", *listen, "host:port or unix:/path (default: web.listen, 127.0.0.1:8080)");
  c.needs = Needs::config;
  c.run = [listen](Context& ctx) -> int {
    struct sigaction sa {};
    sa.sa_handler = on_web_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);
    if (spdlog::get_level() > spdlog::level::info) spdlog::set_level(spdlog::level::info);
    // The database must exist and be migrated: opening it once here says so before listening.
    {
      auto st = store::Store::open(ctx.config.database);
      if (!st) return report(st.error());
    }
    auto with_listen = [&](const std::shared_ptr<const engine::Setup>& s) {
      auto copy = std::make_shared<engine::Setup>(*s);
      copy->config.database = ctx.config.database;  // --db
      if (!listen->empty()) copy->config.web.listen = *listen;
      return std::shared_ptr<const engine::Setup>(copy);
    };
    auto setup = with_listen(ctx.setup);
    if (!setup->directory) spdlog::warn("web: no directory configured: nobody can log in");
    if (setup->config.web.base_url.empty())
      spdlog::warn("web: web.base_url is not set: login links will point to {}",
                   web::link_base(setup->config.web).empty() ? "nothing (no link can be sent)" : web::link_base(setup->config.web));
    web::Site site(setup, ctx.config.database, *ctx.clock);
    const std::string config_path = ctx.setup->config.file.empty() ? std::string(config::kDefaultPath) : ctx.setup->config.file;
    auto served = web::serve(site, setup->config.web.listen, [&] {
      if (g_web_reload.exchange(false)) {
        auto next = engine::load_setup(config_path);
        if (next) {
          site.reload(with_listen(*next));
          spdlog::info("web: configuration reloaded");
        } else {
          spdlog::error("web: configuration change refused, the previous one stays in force:\n{}", next.error().message);
        }
      }
      return g_web_stop.load();
    });
    if (!served) return report(served.error());
    spdlog::info("web: stopped");
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
