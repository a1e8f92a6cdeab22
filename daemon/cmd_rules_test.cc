// guichet rules test [--json] FILE.eml: what routing would decide for one mail, and why: the rule
// that matched, each condition's outcome, the department, agent and procedure, and the
// acknowledgement as it would be sent. Reads the database when there is one (round-robin and
// least-loaded depend on it) but writes nothing.
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "engine/route.h"
#include "mail/date.h"
#include "engine/ingest.h"
#include "engine/outbox.h"
#include "mail/parse.h"
#include "transport/mail_files.h"
#include "util/clock.h"

namespace guichet::cli {

namespace {
std::string rule_place(const routing::RuleSet* rules, const std::string& name) {
  if (!rules) return "";
  for (const auto& r : rules->rules())
    if (r.name == name) return r.place;
  return "";
}

std::string agent_label(const directory::Directory* dir, const std::optional<std::string>& id) {
  if (!id) return "(none)";
  const directory::Agent* a = dir ? dir->agent(*id) : nullptr;
  if (!a) return *id;
  return *id + " (" + a->first_name + " " + a->last_name + (a->anonymous ? ", anonymous" : "") + ")";
}
}  // namespace

Command add_rules_test(CLI::App& rules) {
  struct Options {
    std::string path;
    std::string mailbox;
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = rules.add_subcommand("test", "Show how one mail would be routed and acknowledged (changes nothing)");
  c.app->add_option("file", opt->path, "the mail (.eml), or - for standard input")->required();
  c.app->add_option("--mailbox", opt->mailbox, "the configured mailbox it arrives in");
  c.app->add_flag("--json", opt->json, "print JSON (docs/json.md)");
  c.needs = Needs::config;
  c.run = [opt](Context& ctx) -> int {
    auto raw = transport::read_one(opt->path);
    if (!raw) return report(raw.error());
    if (!opt->mailbox.empty() && !ctx.config.mailbox(opt->mailbox))
      return report(Error{Errc::usage, "mailbox \"" + opt->mailbox + "\" is not in the configuration"});
    // The database when it exists (read-only); else an empty one in memory, so that routing
    // runs the same code either way and nothing is created on disk.
    std::error_code ec;
    const bool have_db = std::filesystem::exists(ctx.config.database, ec);
    auto st = store::Store::open(have_db ? ctx.config.database : ":memory:",
                                 have_db ? store::Database::Mode::read_only : store::Database::Mode::read_write);
    if (!st) return report(st.error());

    engine::IngestOptions options = engine::ingest_options(*ctx.setup, opt->mailbox);
    mail::Message m = mail::parse(*raw, options.limits);
    const Clock& clock = *ctx.clock;
    const std::int64_t arrived = mail::received_at(m, clock.now());
    auto routed = engine::route(*st, m, options, arrived, true);
    if (!routed) return report(routed.error());
    auto reference = st->peek_reference(calendar::local_date(arrived).year);
    if (!reference) return report(reference.error());
    auto letter = templates::letter_data(engine::letter_for(*routed, m, *reference, arrived, options));
    auto text = ctx.setup->templates.render(routed->template_name, letter);
    if (!text) return report(text.error());

    const auto& ro = routed->routing;
    const auto* rules = options.rules;
    // The same brakes as ingest (RFC 3834): a machine's mail gets no acknowledgement.
    std::optional<std::string> suppressed;
    if (!routed->acknowledge)
      suppressed = "the rule says acknowledge: false";
    else
      suppressed = engine::machine_reason(m, options.outgoing.own_addresses);
    if (opt->json) {
      nlohmann::ordered_json j;
      j["rule"] = ro.rules.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(ro.rules.front());
      j["rules"] = ro.rules;
      j["department"] = routed->department ? nlohmann::ordered_json(*routed->department) : nullptr;
      j["agent"] = ro.agent ? nlohmann::ordered_json(*ro.agent) : nullptr;
      j["kind"] = {
          {"silence", ro.silence},
          {"delay", ro.delay ? nlohmann::ordered_json(*ro.delay) : nullptr},
          {"deemed_decision_on", ro.deemed_decision_on ? nlohmann::ordered_json(*ro.deemed_decision_on) : nullptr}};
      j["priority"] = ro.priority;
      j["tags"] = ro.tags;
      j["reference"] = *reference;
      j["template"] = routed->template_name;
      j["acknowledge"] = !suppressed.has_value();
      j["suppressed_because"] = suppressed ? nlohmann::ordered_json(*suppressed) : nullptr;
      j["trace"] = routed->evaluation.trace;
      j["acknowledgement"] = *text;
      print_json(j);
      return 0;
    }
    std::cout << "Rule:            ";
    if (ro.rules.empty()) std::cout << "(none: the mailbox's department applies)\n";
    for (size_t i = 0; i < ro.rules.size(); ++i)
      std::cout << (i ? "                 " : "") << ro.rules[i] << " (" << rule_place(rules, ro.rules[i]) << ")\n";
    std::cout << "Department:      " << routed->department.value_or("(none)") << "\n"
              << "Agent:           " << agent_label(options.directory, ro.agent) << "\n"
              << "Kind:            " << ro.silence;
    if (ro.delay) std::cout << ", " << *ro.delay << ", deemed decision on " << ro.deemed_decision_on.value_or("?");
    std::cout << "\nPriority:        " << ro.priority << "\n";
    if (!ro.tags.empty()) {
      std::cout << "Tags:           ";
      for (const auto& t : ro.tags) std::cout << " " << t;
      std::cout << "\n";
    }
    std::cout << "Acknowledgement: "
              << (suppressed ? "none: " + *suppressed + " (shown below as it would read)" : routed->template_name)
              << ", reference " << *reference << "\n\nTrace:\n";
    for (const auto& line : routed->evaluation.trace) std::cout << "  " << line << "\n";
    std::cout << "\n" << *text;
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
