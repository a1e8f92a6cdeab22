// guichet new --channel telephone --requester "Mme Sophie Seccotine" --agent ID [--email …]
// [--phone …] [--postal …] [--subject …] [--text …|--text-file F] [--received-on DATE]
// [--attach FILE]… [--mailbox NAME] [--json]: records a request received by phone, at the counter
// or by letter, exactly as the agent's intake mail would (engine/intake.h): routed by the rules,
// acknowledged to the resident's address, else the acknowledgement goes to the agent to hand over.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "commands.h"
#include "engine/intake.h"
#include "engine/token_key.h"
#include "request_json.h"
#include "util/strings.h"

namespace guichet::cli {

namespace {

Result<std::string> read_whole(const std::string& path) {
  if (path == "-") return std::string((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Errc::no_input, path + ": cannot read"};
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

Command add_new(CLI::App& app) {
  struct Options {
    engine::IntakeFields f;
    std::string agent, mailbox, text_file;
    std::vector<std::string> attach;
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("new", "Record a request received by phone, at the counter or by letter");
  c.app->add_option("--channel", opt->f.channel, "telephone, guichet or courrier")->required();
  c.app->add_option("--requester", opt->f.requester, "the resident's name, e.g. \"Mme Sophie Seccotine\"")->required();
  c.app->add_option("--agent", opt->agent, "the agent who took it (directory id or address)")->required();
  c.app->add_option("--email", opt->f.email, "the resident's address: the acknowledgement goes there");
  c.app->add_option("--phone", opt->f.phone, "the resident's phone number");
  c.app->add_option("--postal", opt->f.postal, "the resident's postal address");
  c.app->add_option("--subject", opt->f.subject, "what it is about (default: the first line of the text)");
  c.app->add_option("--text", opt->f.text, "what the resident asked");
  c.app->add_option("--text-file", opt->text_file, "the text from a file (- for standard input)");
  c.app->add_option("--received-on", opt->f.received_on, "the day of the call, visit or letter (default: today)");
  c.app->add_option("--attach", opt->attach, "a file to join (the scan of a letter); repeatable");
  c.app->add_option("--mailbox", opt->mailbox, "the mailbox it is recorded in (default: the first configured)");
  c.app->add_flag("--json", opt->json, "print the request as `list --json` does");
  c.needs = Needs::routing;
  c.run = [opt](Context& ctx) -> int {
    const directory::Directory* dir = ctx.setup->directory ? &*ctx.setup->directory : nullptr;
    if (!dir) return report(Error{Errc::config, "new needs a directory (the \"directory\" key)"});
    const directory::Agent* agent = dir->find_agent(opt->agent);
    if (!agent) return report(Error{Errc::data, "no agent " + opt->agent + " in the directory"});
    if (ctx.config.mailboxes.empty()) return report(Error{Errc::config, "no mailbox configured to record it in"});
    const std::string box = opt->mailbox.empty() ? ctx.config.mailboxes.front().name : opt->mailbox;
    if (!ctx.config.mailbox(box)) return report(Error{Errc::usage, "no mailbox " + box + " in the configuration"});
    engine::IntakeFields f = opt->f;
    if (!opt->text_file.empty()) {
      auto text = read_whole(opt->text_file);
      if (!text) return report(text.error());
      f.text = *text;
    }
    std::vector<mail::OutgoingAttachment> files;
    for (const auto& path : opt->attach) {
      auto bytes = read_whole(path);
      if (!bytes) return report(bytes.error());
      files.push_back({std::filesystem::path(path).filename().string(), mail::content_type_of_file(path), std::move(*bytes)});
    }
    store::Store& st = *ctx.store;
    auto options = engine::prepare_ingest(st, *ctx.setup, box);
    if (!options) return report(options.error());
    auto tx = st.transaction();
    if (!tx) return report(tx.error());
    auto out = engine::record_request(st, *options, f, *agent, files, "new", *ctx.clock);
    if (!out) {
      // The reasons are the agent's own words to correct, one per line.
      std::cerr << "guichet: nothing recorded:\n";
      for (const auto& line : split(out.error().message, '\n')) std::cerr << "  " << line << "\n";
      return static_cast<int>(out.error().code);
    }
    if (auto e = tx->commit(); !e) return report(e.error());
    auto r = st.request(out->reference);
    if (!r || !*r) return report(r ? Error{Errc::software, out->reference + " vanished"} : r.error());
    if (opt->json) {
      print_json(request_summary_json(**r));
      return 0;
    }
    std::string ack = "no acknowledgement";
    for (const auto& e : (*r)->events) {
      const auto detail = nlohmann::json::parse(e.detail_json, nullptr, false);
      const std::string to = detail.is_object() && detail.contains("to") ? detail["to"].get<std::string>() : "";
      if (e.kind == "acknowledgement_queued") ack = "acknowledgement to " + to;
      if (e.kind == "acknowledgement_handed") ack = "acknowledgement to " + to + ", to hand over";
    }
    std::cout << out->reference << " recorded (" << (*r)->channel << ") for " << (*r)->requester.name << ": "
              << ((*r)->department ? *(*r)->department : std::string("no department"))
              << ((*r)->agent ? ", " + *(*r)->agent : std::string()) << "; " << ack << "\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
