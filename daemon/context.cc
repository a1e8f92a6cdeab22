#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <ctime>
#include <iostream>

#include "commands.h"
#include "util/local_time.h"

namespace guichet::cli {

Result<Context> open_context(const GlobalOptions& g, Needs needs) {
  Context ctx;
  ctx.clock = std::make_shared<SystemClock>();
  if (needs == Needs::nothing) return ctx;
  if (needs == Needs::database_path && !g.db.empty()) {
    ctx.config.database = g.db;
    return ctx;
  }
  const bool routing = needs == Needs::config || needs == Needs::routing;
  auto setup = routing ? engine::load_setup(g.config)
                       : engine::load_config_only(g.config, needs == Needs::store_read ? engine::WithTemplates::no
                                                                                       : engine::WithTemplates::yes);
  if (!setup) return setup.error();
  ctx.setup = std::move(*setup);
  ctx.config = ctx.setup->config;
  // Dates of receipt and reference years are the commune's local time.
  setenv("TZ", ctx.config.timezone.c_str(), 1);
  tzset();
  // Read in the commune's time zone when it has no offset.
  if (!g.now.empty()) {
    auto t = parse_iso8601(g.now);
    if (!t) return Error{Errc::usage, "--now " + g.now + ": not an ISO-8601 date or time (2026-12-03T14:05, 2027-01-15)"};
    ctx.clock = std::make_shared<FixedClock>(*t);
  }
  if (!g.db.empty()) ctx.config.database = g.db;
  if (needs == Needs::database_path) return ctx;
  if (needs == Needs::store_read || needs == Needs::store_write || needs == Needs::routing) {
    auto mode = needs == Needs::store_read ? store::Database::Mode::read_only : store::Database::Mode::read_write;
    auto st = store::Store::open(ctx.config.database, mode);
    if (!st) return st.error();
    ctx.store.emplace(std::move(*st));
  }
  return ctx;
}

int report(const Error& e) {
  std::cerr << "guichet: " << e.message << "\n";
  return static_cast<int>(e.code);
}

void print_json(const nlohmann::ordered_json& j, bool pretty) {
  std::cout << j.dump(pretty ? 2 : -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

}  // namespace guichet::cli
