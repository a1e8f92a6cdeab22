// Setup: everything routing reads from files (guichet.yaml, the directory, the rules, the
// templates), loaded and validated together so that it is swapped as one piece.
//
// A broken change never stops mail (invariant 8, docs/design.md): SetupWatcher loads the new files first
// and keeps the last good setup in force when they fail, with every error in the log. The daemon
// asks it to reload on SIGHUP and polls it for changed files between cycles.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "calendar/calendar.h"
#include "config/config.h"
#include "directory/directory.h"
#include "engine/options.h"
#include "routing/rules.h"
#include "templates/templates.h"
#include "util/result.h"

namespace guichet::engine {

struct Setup {
  config::Config config;
  std::optional<directory::Directory> directory;  // when the configuration names one
  std::optional<routing::RuleSet> rules;          // idem
  templates::TemplateSet templates;
  calendar::Region region = calendar::Region::metropole;
};

// Loads `config_path` and what it names. Every problem of every file is reported at once, one
// "file:line:column: message" per line (Errc::config). Rules are checked only once the directory
// they name departments from is valid.
Result<std::shared_ptr<const Setup>> load_setup(const std::string& config_path);

// What ingest needs to route mail arriving in `mailbox` (a configured name, or "" for none).
// Pointers into `setup`: keep the setup alive while they are used.
IngestOptions ingest_options(const Setup& setup, const std::string& mailbox);

// guichet.yaml alone (no directory or rules), with the built-in templates when `with` says so (a
// command that writes may queue a mail; one that only reads does not, and skips parsing them:
// a tenth of `guichet search`, bench/search.sh).
enum class WithTemplates { yes, no };
Result<std::shared_ptr<const Setup>> load_config_only(const std::string& config_path,
                                                      WithTemplates with = WithTemplates::yes);

// The files a setup was read from, with their modification time and size: a change in any of
// them (or a file added to or removed from the rules or templates folder) means a reload.
using FileStamps = std::map<std::string, std::pair<std::int64_t, std::int64_t>>;
FileStamps stamps_of(const Setup& setup);

class SetupWatcher {
 public:
  explicit SetupWatcher(std::string config_path, std::shared_ptr<const Setup> initial);

  std::shared_ptr<const Setup> current() const { return current_; }
  // Reloads now (SIGHUP). On success the new setup is current; on failure the error is returned
  // and the old setup stays.
  Result<void> reload();
  // Reloads when a file changed since the last attempt; nullopt when nothing changed. A broken
  // file is tried once per change, not on every poll.
  std::optional<Result<void>> reload_if_changed();

 private:
  std::string config_path_;
  std::shared_ptr<const Setup> current_;
  FileStamps stamps_;
};

}  // namespace guichet::engine
