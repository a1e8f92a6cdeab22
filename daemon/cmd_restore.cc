// guichet restore BACKUP: puts a backup that verifies in place of the database, the daemon stopped.
// The database being replaced is kept first as DB.before-restore-<time> (unless --no-keep). At the
// next start, the daemon fetches again what arrived since the backup (README, "Backups and restore").
#include <iostream>

#include "commands.h"
#include "mail/date.h"
#include "store/backup.h"
#include "util/file_lock.h"

namespace guichet::cli {

Command add_restore(CLI::App& app) {
  struct Options {
    std::string backup;
    bool no_keep = false;
  };
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("restore", "Put a checked backup in place of the database (stop the daemon first)");
  c.app->add_option("backup", opt->backup, "the backup file (guichet backup)")->required();
  c.app->add_flag("--no-keep", opt->no_keep, "do not keep a copy of the database being replaced");
  c.needs = Needs::database_path;
  c.run = [opt](Context& ctx) -> int {
    const std::string& live = ctx.config.database;
    // Held while the restore runs, so that a daemon started meanwhile is refused.
    auto lock = FileLock::acquire(daemon_lock_path(live));
    if (!lock)
      return report(Error{lock.error().code, lock.error().message + ": stop it first (systemctl stop guichet)"});
    std::string keep;
    if (!opt->no_keep) {
      std::string stamp = mail::format_rfc3339(ctx.clock->now());
      for (char& ch : stamp)
        if (ch == ':') ch = '-';
      keep = live + ".before-restore-" + stamp;
    }
    auto v = store::restore_database(opt->backup, live, keep);
    if (!v) return report(v.error());
    std::cout << live << " restored from " << opt->backup << ": " << v->requests << " requests, " << v->messages
              << " messages\n";
    if (!keep.empty()) std::cout << "the database it replaced is kept at " << keep << "\n";
    std::cout << "start the daemon: it fetches again what the mailboxes received since the backup\n";
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
