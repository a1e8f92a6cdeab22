#include "engine/setup.h"

#include <system_error>

#include "util/strings.h"

namespace guichet::engine {

namespace fs = std::filesystem;

namespace {
void append(std::string& all, const std::string& more) {
  if (more.empty()) return;
  if (!all.empty()) all += "\n";
  all += more;
}
}  // namespace

Result<std::shared_ptr<const Setup>> load_setup(const std::string& config_path) {
  auto cfg = config::load(config_path);
  if (!cfg) return cfg.error();
  auto setup = std::make_shared<Setup>();
  setup->config = std::move(*cfg);
  std::string errors;
  if (auto region = calendar::parse_region(setup->config.calendar)) setup->region = *region;
  auto tpl = templates::TemplateSet::load(setup->config.templates);
  if (tpl) {
    setup->templates = std::move(*tpl);
    for (const char* name : templates::required()) {
      if (!setup->templates.has(name))
        append(errors, setup->config.templates + ": template \"" + name + "\" is missing");
    }
  } else {
    append(errors, tpl.error().message);
  }
  if (!setup->config.directory.empty()) {
    auto dir = directory::Directory::load(setup->config.directory);
    if (dir) {
      setup->directory.emplace(std::move(*dir));
    } else {
      append(errors, dir.error().message);
    }
  }
  if (setup->directory) {
    for (const auto& mb : setup->config.mailboxes) {
      if (mb.department && !setup->directory->department(*mb.department))
        append(errors, setup->config.file + ": mailbox \"" + mb.name + "\": unknown department \"" + *mb.department +
                           "\" (not in " + setup->config.directory + ")");
    }
  }
  if (!setup->config.rules.empty()) {
    if (!setup->directory) {
      append(errors, setup->config.file + ": rules need a valid directory (key \"directory\")");
    } else {
      auto rules = routing::RuleSet::load(setup->config.rules, *setup->directory, setup->templates.names());
      if (rules) {
        setup->rules.emplace(std::move(*rules));
      } else {
        append(errors, rules.error().message);
      }
    }
  }
  if (!errors.empty()) return make_error(Errc::config, errors);
  return std::shared_ptr<const Setup>(std::move(setup));
}

Result<std::shared_ptr<const Setup>> load_config_only(const std::string& config_path, WithTemplates with) {
  auto cfg = config::load(config_path);
  if (!cfg) return cfg.error();
  auto setup = std::make_shared<Setup>();
  setup->config = std::move(*cfg);
  if (auto region = calendar::parse_region(setup->config.calendar)) setup->region = *region;
  if (with == WithTemplates::yes) {
    auto tpl = templates::TemplateSet::builtin();
    if (tpl) setup->templates = std::move(*tpl);
  }
  return std::shared_ptr<const Setup>(std::move(setup));
}

IngestOptions ingest_options(const Setup& s, const std::string& mailbox) {
  IngestOptions o;
  o.config = &s.config;
  o.mailbox = mailbox;
  if (const auto* mb = s.config.mailbox(mailbox)) o.department = mb->department;
  if (s.rules) o.rules = &*s.rules;
  if (s.directory) o.directory = &*s.directory;
  o.templates = &s.templates;
  o.commune = s.config.commune;
  o.region = s.region;
  o.threading.reference_prefix = s.config.reference_prefix;
  if (s.directory) {
    for (const auto& a : s.directory->agents()) {
      o.threading.agent_addresses.push_back(to_lower(a.email));
      for (const auto& alias : a.aliases) o.threading.agent_addresses.push_back(to_lower(alias));
    }
  }
  if (const auto* mb = s.config.mailbox(mailbox)) o.outgoing.mailbox_address = mb->address;
  if (s.config.smtp) {
    o.outgoing.enabled = true;
    o.outgoing.fallback_from = s.config.smtp->from;
    o.outgoing.retry_hours = s.config.smtp->retry_hours;
  }
  o.outgoing.own_addresses = s.config.own_addresses();
  o.outgoing.per_day = s.config.acknowledgements.per_day;
  o.outgoing.per_week = s.config.acknowledgements.per_week;
  o.agents.separator = s.config.address_separator;
  o.agents.trusted_authserv_id = s.config.trusted_authserv_id;
  o.agents.procedures = &s.config.procedures;
  if (auto d = calendar::Delay::parse(s.config.missing_pieces_delay)) o.agents.missing_pieces_delay = *d;
  return o;
}

namespace {
void stamp(FileStamps& out, const fs::path& p) {
  std::error_code ec;
  auto status = fs::status(p, ec);
  if (ec || !fs::exists(status)) {
    out[p.string()] = {-1, -1};
    return;
  }
  if (fs::is_directory(status)) {
    out[p.string()] = {0, 0};
    for (const auto& e : fs::directory_iterator(p, ec)) {
      auto ext = e.path().extension();
      if (ext == ".yaml" || ext == ".yml" || ext == ".mustache") stamp(out, e.path());
    }
    return;
  }
  auto mtime = fs::last_write_time(p, ec).time_since_epoch().count();
  auto size = static_cast<std::int64_t>(fs::file_size(p, ec));
  out[p.string()] = {static_cast<std::int64_t>(mtime), size};
}
}  // namespace

FileStamps stamps_of(const Setup& s) {
  FileStamps out;
  if (!s.config.file.empty()) stamp(out, s.config.file);
  if (!s.config.directory.empty()) stamp(out, s.config.directory);
  if (!s.config.rules.empty()) stamp(out, s.config.rules);
  if (!s.config.templates.empty()) stamp(out, s.config.templates);
  return out;
}

SetupWatcher::SetupWatcher(std::string config_path, std::shared_ptr<const Setup> initial)
    : config_path_(std::move(config_path)), current_(std::move(initial)), stamps_(stamps_of(*current_)) {}

Result<void> SetupWatcher::reload() {
  auto next = load_setup(config_path_);
  if (!next) {
    // Remember what was tried, so that a broken file is reported once per change. The paths
    // are those of the setup in force (a broken guichet.yaml cannot name new ones).
    stamps_ = stamps_of(*current_);
    return next.error();
  }
  current_ = std::move(*next);
  stamps_ = stamps_of(*current_);
  return {};
}

std::optional<Result<void>> SetupWatcher::reload_if_changed() {
  if (stamps_of(*current_) == stamps_) return std::nullopt;
  return reload();
}

}  // namespace guichet::engine
