// guichet parse [--json] FILE|-: what guichet sees in one mail. No configuration, no database.
#include <fstream>
#include <iostream>
#include <iterator>

#include "commands.h"
#include "mail/date.h"
#include "mail/message_json.h"
#include "mail/parse.h"
#include "transport/mail_files.h"

namespace guichet::cli {

namespace {
std::string list_addresses(const std::vector<mail::Address>& list) {
  std::string out;
  for (const auto& a : list) {
    if (!out.empty()) out += ", ";
    out += a.name.empty() ? a.address : a.name + " <" + a.address + ">";
  }
  return out;
}
}  // namespace

Command add_parse(CLI::App& app) {
  struct Options {
    std::string path;
    bool json = false;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("parse", "Print what guichet reads in one mail (a file, or - for stdin)");
  c.app->add_option("file", opt->path, "the mail (.eml), or - for standard input")->required();
  c.app->add_flag("--json", opt->json, "print JSON (docs/json.md)");
  c.needs = Needs::nothing;
  c.run = [opt](Context&) -> int {
    auto raw = transport::read_one(opt->path);
    if (!raw) return report(raw.error());
    mail::Message m = mail::parse(*raw);
    if (opt->json) {
      print_json(mail::to_json(m));
      return 0;
    }
    std::cout << "Message-ID:  " << (m.message_id.empty() ? "(none)" : m.message_id) << "\n"
              << "Date:        " << (m.date ? mail::format_rfc3339(*m.date) : "(none)") << "\n"
              << "From:        " << list_addresses(m.from) << "\n"
              << "To:          " << list_addresses(m.to) << "\n";
    if (!m.cc.empty()) std::cout << "Cc:          " << list_addresses(m.cc) << "\n";
    std::cout << "Subject:     " << m.subject << "\n";
    std::string flags;
    if (m.auto_submitted) flags += " auto";
    if (m.bounce) flags += " bounce";
    if (m.list) flags += " list";
    if (!flags.empty()) std::cout << "Flags:      " << flags << "\n";
    for (const auto& a : m.attachments)
      std::cout << "Attachment:  " << (a.filename.empty() ? "(unnamed)" : a.filename) << " (" << a.content_type
                << ", " << a.size << " bytes)\n";
    for (const auto& p : m.problems) std::cout << "Problem:     " << p << "\n";
    std::cout << "\n" << m.text << "\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
