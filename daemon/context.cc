#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <ctime>
#include <iostream>

#include "commands.h"

namespace guichet::cli {

Result<Context> open_context(const GlobalOptions& g, Needs needs) {
  Context ctx;
  if (needs == Needs::nothing) return ctx;
  auto cfg = config::load(g.config);
  if (!cfg) return cfg.error();
  ctx.config = std::move(*cfg);
  // Dates of receipt and reference years are the commune's local time.
  setenv("TZ", ctx.config.timezone.c_str(), 1);
  tzset();
  if (!g.db.empty()) ctx.config.database = g.db;
  if (auto region = calendar::parse_region(ctx.config.calendar)) ctx.region = *region;
  if (!ctx.config.directory.empty()) {
    auto dir = directory::Directory::load(ctx.config.directory);
    if (!dir) return dir.error();
    ctx.directory.emplace(std::move(*dir));
  }
  if (!ctx.config.rules.empty()) {
    // No templates module yet: a rule naming a template is refused until there is one.
    auto rules = routing::RuleSet::load(ctx.config.rules, *ctx.directory, {});
    if (!rules) return rules.error();
    ctx.rules.emplace(std::move(*rules));
  }
  if (needs == Needs::store_read || needs == Needs::store_write) {
    auto mode = needs == Needs::store_write ? store::Database::Mode::read_write : store::Database::Mode::read_only;
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
