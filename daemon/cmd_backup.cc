// guichet backup FILE: an online copy of the database while the daemon runs, checked before it is
// kept (store/backup.h). FILE is written only once whole and checked; an existing FILE is replaced.
#include <iostream>

#include "commands.h"
#include "store/backup.h"

namespace guichet::cli {

Command add_backup(CLI::App& app) {
  auto target = std::make_shared<std::string>();
  Command c;
  c.app = app.add_subcommand("backup", "Copy the database while the daemon runs, then check the copy");
  c.app->add_option("file", *target, "where the copy goes (written as FILE.partial until checked)")->required();
  c.needs = Needs::database_path;
  c.run = [target](Context& ctx) -> int {
    auto done = store::backup_database(ctx.config.database, *target);
    if (!done) return report(done.error());
    const store::VerifyReport& v = done->verified;
    std::cout << *target << ": " << done->bytes << " bytes, " << v.requests << " requests, " << v.messages
              << " messages, " << v.raw_messages << " stored mails checked against their SHA-256\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
