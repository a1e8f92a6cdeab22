// guichet serve [--once]: the daemon. Polls every mailbox at its interval, runs the deadline
// scanner every few minutes (engine/deadlines.h), drains the outbox, wakes at once when a mailbox
// says it has new mail (engine/watch.h: IMAP IDLE, inotify),
// reloads the setup on SIGHUP or when a file changes (a broken one is refused, the last good one
// kept), tells systemd how it is (READY=1, STATUS=, WATCHDOG=1), and on SIGTERM finishes the
// message in hand, commits, and exits 0. One broken mailbox never stalls the others: each backs
// off on its own, and the admin hears once when one fails too long and once when it recovers.
#include <signal.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "commands.h"
#include "engine/connections.h"
#include "engine/deadlines.h"
#include "engine/outbox.h"
#include "engine/poll.h"
#include "engine/retention.h"
#include "engine/token_key.h"
#include "engine/watch.h"
#include "mail/date.h"
#include "util/backoff.h"
#include "util/clock.h"
#include "util/file_lock.h"
#include "util/systemd_notify.h"

namespace guichet::cli {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

void on_signal(int sig) {
  if (sig == SIGHUP)
    g_reload = true;
  else
    g_stop = true;
}

// Asked between two messages (by the poller's threads too): whether to stop, and a chance to feed
// systemd's watchdog, at most once a second, so that a first run over a large mailbox is not
// taken for a hung daemon.
bool between_messages() {
  static std::atomic<std::int64_t> last_fed{0};
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  if (last_fed.exchange(now) != now) (void)notify_systemd("WATCHDOG=1");
  return g_stop.load();
}

void install_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a sleep ends at once
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

struct Slot {
  engine::MailboxPoller poller;
  std::int64_t due = 0;
  int failures = 0;
};

class Daemon {
 public:
  Daemon(Context& ctx, bool once) : ctx_(ctx), once_(once), watcher_(config_path(ctx), ctx.setup), clock_(*ctx.clock) {
    rebuild();
  }

  int run() {
    // A unit of Type=notify that never hears READY=1 is killed after its start timeout: say why.
    if (auto ready = notify_systemd("READY=1"); !ready) spdlog::error("{}", ready.error().message);
    spdlog::info("serving {} mailbox(es){}", slots_.size(), once_ ? ", one cycle" : "");
    int failing = 0;
    while (!g_stop) {
      if (g_reload.exchange(false))
        reload(watcher_.reload());
      else if (auto r = watcher_.reload_if_changed())
        reload(*r);
      failing = cycle();
      deadlines();
      drain();
      notify_status();
      if (once_) break;
      sleep_until_next();
    }
    (void)notify_systemd("STOPPING=1");
    spdlog::info("stopped");
    return once_ && failing > 0 ? static_cast<int>(Errc::temp_fail) : 0;
  }

 private:
  static std::string config_path(const Context& ctx) {
    return ctx.setup->config.file.empty() ? std::string(config::kDefaultPath) : ctx.setup->config.file;
  }

  void rebuild() {
    watch_.reset();  // its threads stop and are joined before their mailboxes go
    slots_.clear();
    for (const auto& mb : watcher_.current()->config.mailboxes) {
      slots_.push_back(Slot{engine::MailboxPoller(mb), 0, 0});
      // Answers agents send from the shared mailbox itself: its Sent folder, read-only.
      if (auto sent = engine::sent_folder_of(mb)) slots_.push_back(Slot{engine::MailboxPoller(*sent), 0, 0});
    }
    watch_ = std::make_unique<engine::MailWatch>();
    // Between polls, a connection of its own per mailbox waits for new mail (not the Sent
    // folders: what agents sent is recorded at the next poll, nothing waits on it).
    for (auto& slot : slots_) {
      const auto& mb = slot.poller.mailbox();
      if (once_ || !mb.watch || !mb.sent_folder_of.empty()) continue;
      auto source = slot.poller.source();
      if (!source) continue;  // the poll will say why
      if (auto w = (*source)->watcher()) {
        const auto max = std::min<std::chrono::milliseconds>(std::chrono::seconds(mb.poll_seconds),
                                                             std::chrono::minutes(defaults::watch_max_minutes));
        watch_->add(mb.name, std::move(w), max);
      }
    }
    if (watcher_.current()->config.smtp) {
      auto sender = engine::make_sender(*watcher_.current()->config.smtp);
      if (sender)
        sender_ = std::move(*sender);
      else
        spdlog::error("smtp: {}", sender.error().message);
    } else {
      sender_.reset();
    }
  }

  void reload(const Result<void>& r) {
    if (!r) {
      spdlog::error("configuration change refused, the previous one stays in force:\n{}", r.error().message);
      return;
    }
    spdlog::info("configuration reloaded");
    rebuild();
  }

  // Polls the mailboxes that are due; returns how many are failing.
  int cycle() {
    const auto setup = watcher_.current();
    int failing = 0;
    const std::set<std::string> news = watch_->take_news();
    for (auto& slot : slots_) {
      if (g_stop) break;
      const std::int64_t now = clock_.now();
      const bool has_news = news.count(slot.poller.mailbox().name) > 0 && slot.failures == 0;
      if (!once_ && slot.due > now && !has_news) {
        failing += slot.failures > 0;
        continue;
      }
      const auto& mb = slot.poller.mailbox();
      auto r = slot.poller.poll(*ctx_.store, *setup, clock_, between_messages);
      if (r) {
        if (r->ingested || r->duplicates)
          spdlog::info("mailbox {}: {} new, {} duplicate(s)", mb.name, r->ingested, r->duplicates);
        recovered(slot, *setup);
        slot.failures = 0;
        slot.due = now + mb.poll_seconds;
      } else {
        ++failing;
        failed(slot, *setup, r.error().message);
      }
    }
    return failing;
  }

  static templates::Data alert_data(const config::Mailbox& mb, const std::string& error,
                                    std::optional<std::int64_t> since) {
    templates::Data a;
    a.set("mailbox", mb.name);
    a.set("url", mb.url);
    a.set("error", error);
    a.set("since", since ? mail::format_rfc3339(*since) : std::string());
    return a;
  }

  void failed(Slot& slot, const engine::Setup& setup, const std::string& error) {
    const auto& mb = slot.poller.mailbox();
    ++slot.failures;
    // From the poll interval up to 15 minutes, doubling, with jitter.
    const std::int64_t now = clock_.now();
    slot.due = now + backoff_seconds({mb.poll_seconds, defaults::mailbox_backoff_max_seconds}, slot.failures);
    record_failure(mb, setup, error, now);
    // Logged once recorded, so that `guichet status` run on reading the line already shows it.
    spdlog::error("mailbox {}: {}", mb.name, error);
  }

  void record_failure(const config::Mailbox& mb, const engine::Setup& setup, const std::string& error,
                      std::int64_t now) {
    store::MailboxStates states = ctx_.store->mailboxes();
    auto tx = ctx_.store->transaction();
    if (!tx) return;
    auto st = states.poll_failed(mb.name, error, now);
    if (st && !st->alerted && st->failing_since && now - *st->failing_since >= setup.config.alert_after_minutes * 60) {
      auto q =
          engine::queue_alert(*ctx_.store, setup, templates::kMailboxFailing, alert_data(mb, error, st->failing_since),
                              "La bo\xC3\xAEte " + mb.name + " ne r\xC3\xA9pond plus", now);
      if (q && *q) (void)states.set_alerted(mb.name, true);
    }
    if (auto c = tx->commit(); !c) spdlog::error("mailbox {}: {}", mb.name, c.error().message);
  }

  void recovered(Slot& slot, const engine::Setup& setup) {
    if (slot.failures == 0) return;
    const auto& mb = slot.poller.mailbox();
    spdlog::info("mailbox {}: working again", mb.name);
    store::MailboxStates states = ctx_.store->mailboxes();
    auto st = states.get(mb.name);
    if (!st || !*st || !(*st)->alerted) return;
    auto tx = ctx_.store->transaction();
    if (!tx) return;
    auto q = engine::queue_alert(*ctx_.store, setup, templates::kMailboxRecovered, alert_data(mb, "", std::nullopt),
                                 "La bo\xC3\xAEte " + mb.name + " r\xC3\xA9pond de nouveau", clock_.now());
    if (q) (void)states.set_alerted(mb.name, false);
    (void)tx->commit();
  }

  // Every `deadlines.every_minutes` (and at start, to catch up after downtime): reminders,
  // escalations, implicit decisions, digests. Idempotent: each is a unique row with its mail.
  void deadlines() {
    const auto setup = watcher_.current();
    const std::int64_t now = clock_.now();
    if (g_stop || (!once_ && now < next_scan_)) return;
    next_scan_ = now + setup->config.deadlines.every_minutes * 60;
    auto options = engine::prepare_ingest(*ctx_.store, *setup, "");
    if (!options) {
      spdlog::error("deadlines: {}", options.error().message);
      return;
    }
    auto run = engine::run_deadlines(*ctx_.store, *options, now, false);
    if (!run) {
      spdlog::error("deadlines: {}", run.error().message);
      return;
    }
    auto digests = engine::send_digests(*ctx_.store, *options, setup->config.deadlines, now, false);
    if (!digests) spdlog::error("digests: {}", digests.error().message);
    for (const auto& l : run->lines) spdlog::info("deadlines: {}", l);
    if (digests)
      for (const auto& l : digests->lines) spdlog::info("digests: {}", l);
    // Retention, once a day, a bounded batch per scan so that mail keeps flowing meanwhile.
    auto purged = engine::daily_purge(*ctx_.store, engine::RetentionPolicy::of(setup->config, setup->region), now,
                                      defaults::purge_batch);
    if (!purged)
      spdlog::error("purge: {}", purged.error().message);
    else if (*purged)
      spdlog::info("purge: {} request(s) past retention became tombstones ({} mail(s), {} bytes){}",
                   (*purged)->items.size(), (*purged)->total.messages, (*purged)->total.bytes,
                   (*purged)->finished ? "" : "; more at the next scan");
  }

  void drain() {
    if (!sender_ || g_stop) return;
    auto r = engine::drain(*ctx_.store, *sender_, clock_, engine::drain_options(*watcher_.current()), 1000,
                           between_messages);
    if (!r) spdlog::error("outbox: {}", r.error().message);
  }

  void notify_status() {
    int failing = 0;
    for (const auto& s : slots_) failing += s.failures > 0;
    auto queued = ctx_.store->outbox().count(store::OutboxStatus::queued);
    const std::string status = std::to_string(slots_.size()) + " mailboxes, " + std::to_string(failing) + " failing, " +
                               std::to_string(queued ? *queued : -1) + " queued";
    (void)notify_systemd("STATUS=" + status + "\nWATCHDOG=1");
  }

  void sleep_until_next() {
    std::int64_t next = clock_.now() + 60;
    for (const auto& s : slots_) next = std::min(next, s.due);
    if (auto due = ctx_.store->outbox().due(clock_.now() + 5, 1); due && !due->empty())
      next = std::min(next, clock_.now() + 5);
    // Short steps: signals, the watchdog and changed files are noticed within a second, new
    // mail a watcher announces at once.
    while (!g_stop && !g_reload && clock_.now() < std::max(next, clock_.now() + 1)) {
      if (watch_->wait_for(std::chrono::milliseconds(200))) break;
      (void)notify_systemd("WATCHDOG=1");
      if (clock_.now() >= next) break;
    }
  }

  Context& ctx_;
  bool once_;
  engine::SetupWatcher watcher_;
  std::vector<Slot> slots_;
  std::unique_ptr<engine::MailWatch> watch_;
  std::unique_ptr<transport::Sender> sender_;
  std::int64_t next_scan_ = 0;
  const Clock& clock_;  // the system's; --now (with --once only) for "what would happen then"
};

}  // namespace

Command add_serve(CLI::App& app) {
  auto once = std::make_shared<bool>(false);
  Command c;
  c.app = app.add_subcommand("serve", "Run the daemon: poll the mailboxes, send the outbox (Ctrl-C or SIGTERM stops)");
  c.app->add_flag("--once", *once, "one full cycle (every mailbox, the outbox), then exit: cron, tests, the demo");
  c.needs = Needs::routing;
  c.run = [once](Context& ctx) -> int {
    // A fixed time never advances: a daemon would never wake up.
    if (!*once && dynamic_cast<const FixedClock*>(ctx.clock.get()))
      return report(Error{Errc::usage, "--now goes with serve --once"});
    // One daemon per database: a second would fetch every mail a second time.
    auto lock = FileLock::acquire(daemon_lock_path(ctx.config.database));
    if (!lock) return report(lock.error());
    install_signals();
    if (spdlog::get_level() > spdlog::level::info)
      spdlog::set_level(spdlog::level::info);  // a daemon says what it does
    Daemon d(ctx, *once);
    return d.run();
  };
  return c;
}

}  // namespace guichet::cli
