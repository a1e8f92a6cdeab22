// The guichet command line: one file per subcommand (cmd_*.cc), wired together in main.cc.
// Commands see only libguichet's public headers.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

#include "config/config.h"
#include "engine/setup.h"
#include "store/store.h"
#include "util/clock.h"

namespace guichet::cli {

struct GlobalOptions {
  std::string config = config::kDefaultPath;
  std::string db;   // overrides the configured database
  std::string now;  // --now ISO-8601: what would happen then (tests, "what on 15 January?")
  int verbosity = 0;
};

// What a command needs opened before it runs (like mu's table of "writable store / read-only").
// `config` and `routing` load the whole setup (directory, rules, templates) and refuse to run when
// any of it is broken; the others read guichet.yaml alone, so that looking at requests, fixing
// them and sending queued mail keep working while a rules file is being edited. `database_path`
// opens nothing: it reads guichet.yaml only when --db does not name the file (backup, verify of any
// copy, restore on a machine whose configuration is still to be put back).
enum class Needs { nothing, database_path, config, store_read, store_write, routing };

struct Context {
  config::Config config;  // setup->config, with the command line's overrides (--db)
  std::shared_ptr<const Clock> clock;  // the system's, or --now
  std::shared_ptr<const engine::Setup> setup;  // configuration, directory, rules, templates
  std::optional<store::Store> store;
};

struct Command {
  CLI::App* app = nullptr;
  Needs needs = Needs::nothing;
  std::function<int(Context&)> run;  // returns the process exit code
};

Command add_parse(CLI::App& app);
Command add_ingest(CLI::App& app);
Command add_list(CLI::App& app);
Command add_show(CLI::App& app);
Command add_merge(CLI::App& app);
Command add_split(CLI::App& app);
Command add_promote(CLI::App& app);
Command add_rules_check(CLI::App& rules);  // under `guichet rules`
Command add_rules_test(CLI::App& rules);
Command add_outbox(CLI::App& outbox);  // `guichet outbox` itself lists
Command add_outbox_retry(CLI::App& outbox);
Command add_outbox_send(CLI::App& outbox);
Command add_serve(CLI::App& app);
Command add_status(CLI::App& app);
Command add_transfer(CLI::App& app);
Command add_deadlines_run(CLI::App& deadlines);  // under `guichet deadlines`
Command add_digest(CLI::App& app);
Command add_attestation(CLI::App& app);
Command add_stats(CLI::App& app);
Command add_search(CLI::App& app);
Command add_web(CLI::App& web);  // `guichet web` itself serves
Command add_web_link(CLI::App& web);
Command add_backup(CLI::App& app);
Command add_verify(CLI::App& app);
Command add_restore(CLI::App& app);
Command add_new(CLI::App& app);
Command add_intake_address(CLI::App& app);
Command add_rgpd_export(CLI::App& rgpd);  // under `guichet rgpd`
Command add_rgpd_erase(CLI::App& rgpd);   // under `guichet rgpd`
Command add_purge(CLI::App& app);
Command add_mailbox_test(CLI::App& mailbox);
Command add_smtp_test(CLI::App& smtp);

// Opens what `needs` asks for. Applies the configured time zone to the process.
Result<Context> open_context(const GlobalOptions& g, Needs needs);

// Prints "guichet: <message>" on stderr and returns the sysexits code for `e`.
int report(const Error& e);

// JSON on stdout, UTF-8, invalid bytes replaced rather than thrown on.
void print_json(const nlohmann::ordered_json& j, bool pretty = true);

}  // namespace guichet::cli
