// guichet verify [--db FILE] [--json]: the checks a backup passes (store/backup.h) on any database,
// the live one or a copy: SQLite's own, then every stored mail against its SHA-256. Reports, never
// repairs. Exit 0 when all is well, 65 with the damaged rows named, 66 when there is no database.
#include <iostream>

#include "commands.h"
#include "store/backup.h"

namespace guichet::cli {

namespace {

nlohmann::ordered_json verify_json(const store::VerifyReport& v) {
  nlohmann::ordered_json j;
  j["ok"] = v.ok();
  j["schema_version"] = v.schema_version;
  j["requests"] = v.requests;
  j["messages"] = v.messages;
  j["raw_messages"] = v.raw_messages;
  j["blobs"] = v.blobs;
  j["attachments"] = v.attachments;
  j["bytes"] = v.bytes;
  j["problems"] = v.problems;
  j["more_problems"] = v.more_problems;
  return j;
}

void print_verify(const store::VerifyReport& v, std::ostream& out) {
  out << v.requests << " requests, " << v.messages << " messages, " << v.raw_messages << " stored mails (" << v.bytes
      << " bytes), " << v.blobs << " attachment contents, schema " << v.schema_version << ": ";
  if (v.ok()) {
    out << "every mail matches its SHA-256\n";
    return;
  }
  out << v.problems.size() + static_cast<std::size_t>(v.more_problems) << " problems\n";
  for (const auto& p : v.problems) out << "  " << p << "\n";
  if (v.more_problems > 0) out << "  … and " << v.more_problems << " more\n";
}

}  // namespace

Command add_verify(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  Command c;
  c.app = app.add_subcommand("verify", "Check a database (the live one, or a backup with --db): report, never repair");
  c.app->add_flag("--json", *json, "print JSON (docs/json.md)");
  c.needs = Needs::database_path;
  c.run = [json](Context& ctx) -> int {
    auto v = store::verify_database(ctx.config.database);
    if (!v) return report(v.error());
    if (*json)
      print_json(verify_json(*v));
    else
      print_verify(*v, std::cout);
    if (!v->ok()) {
      std::cerr << "guichet: " << ctx.config.database << " is damaged; keep it as it is and restore the last backup "
                << "that verifies (README, \"Backups and restore\")\n";
      return static_cast<int>(Errc::data);
    }
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
