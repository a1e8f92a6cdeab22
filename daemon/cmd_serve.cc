// guichet serve [--once]: the daemon. Polls every mailbox at its interval, drains the outbox,
// reloads the setup on SIGHUP or when a file changes (a broken one is refused, the last good one
// kept), tells systemd how it is (READY=1, STATUS=, WATCHDOG=1), and on SIGTERM finishes the
// message in hand, commits, and exits 0. One broken mailbox never stalls the others: each backs
// off on its own, and the admin hears once when one fails too long and once when it recovers.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "commands.h"
#include "engine/outbox.h"
#include "engine/poll.h"
#include "mail/date.h"
#include "store/mailbox_state.h"
#include "store/outbox.h"
#include "util/clock.h"

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
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count();
  if (last_fed.exchange(now) != now) sd_notify(0, "WATCHDOG=1");
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
  Daemon(Context& ctx, bool once) : ctx_(ctx), once_(once), watcher_(config_path(ctx), ctx.setup) { rebuild(); }

  int run() {
    sd_notify(0, "READY=1");
    spdlog::info("serving {} mailbox(es){}", slots_.size(), once_ ? ", one cycle" : "");
    int failing = 0;
    while (!g_stop) {
      if (g_reload.exchange(false))
        reload(watcher_.reload());
      else if (auto r = watcher_.reload_if_changed())
        reload(*r);
      failing = cycle();
      drain();
      notify_status();
      if (once_) break;
      sleep_until_next();
    }
    sd_notify(0, "STOPPING=1");
    spdlog::info("stopped");
    return once_ && failing > 0 ? static_cast<int>(Errc::temp_fail) : 0;
  }

 private:
  static std::string config_path(const Context& ctx) {
    return ctx.setup->config.file.empty() ? std::string(config::kDefaultPath) : ctx.setup->config.file;
  }

  void rebuild() {
    slots_.clear();
    for (const auto& mb : watcher_.current()->config.mailboxes) slots_.push_back(Slot{engine::MailboxPoller(mb), 0, 0});
    if (watcher_.current()->config.smtp) {
      auto sender = transport::make_sender(*watcher_.current()->config.smtp);
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
    for (auto& slot : slots_) {
      if (g_stop) break;
      const std::int64_t now = clock_.now();
      if (!once_ && slot.due > now) {
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

  void failed(Slot& slot, const engine::Setup& setup, const std::string& error) {
    const auto& mb = slot.poller.mailbox();
    spdlog::error("mailbox {}: {}", mb.name, error);
    ++slot.failures;
    // Exponential backoff with jitter, from the poll interval up to 15 minutes.
    static std::mt19937 rng{std::random_device{}()};
    double delay = mb.poll_seconds * std::pow(2.0, std::min(slot.failures - 1, 10));
    delay = std::min(delay, 900.0) * std::uniform_real_distribution<double>(0.8, 1.2)(rng);
    const std::int64_t now = clock_.now();
    slot.due = now + static_cast<std::int64_t>(delay);
    store::MailboxStates states(ctx_.store->database());
    auto tx = ctx_.store->transaction();
    if (!tx) return;
    auto st = states.poll_failed(mb.name, error, now);
    if (st && !st->alerted && st->failing_since && now - *st->failing_since >= setup.config.alert_after_minutes * 60) {
      auto q = engine::queue_alert(*ctx_.store, setup, "La boîte " + mb.name + " ne répond plus",
                                   "Bonjour,\n\nguichet n'arrive plus à relever la boîte " + mb.name + " (" + mb.url +
                                       ") depuis le " + mail::format_rfc3339(*st->failing_since) +
                                       ".\nDernière erreur : " + error +
                                       "\n\nLe courrier n'est pas perdu : il reste sur le serveur et sera relevé dès "
                                       "que la boîte répondra.",
                                   now);
      if (q && *q) (void)states.set_alerted(mb.name, true);
    }
    if (auto c = tx->commit(); !c) spdlog::error("mailbox {}: {}", mb.name, c.error().message);
  }

  void recovered(Slot& slot, const engine::Setup& setup) {
    if (slot.failures == 0) return;
    const auto& mb = slot.poller.mailbox();
    spdlog::info("mailbox {}: working again", mb.name);
    store::MailboxStates states(ctx_.store->database());
    auto st = states.get(mb.name);
    if (!st || !*st || !(*st)->alerted) return;
    auto tx = ctx_.store->transaction();
    if (!tx) return;
    auto q = engine::queue_alert(*ctx_.store, setup, "La boîte " + mb.name + " répond de nouveau",
                                 "Bonjour,\n\nguichet relève de nouveau la boîte " + mb.name + ".", clock_.now());
    if (q) (void)states.set_alerted(mb.name, false);
    (void)tx->commit();
  }

  void drain() {
    if (!sender_ || g_stop) return;
    auto r = engine::drain(*ctx_.store, *sender_, clock_, 1000, between_messages);
    if (!r) spdlog::error("outbox: {}", r.error().message);
  }

  void notify_status() {
    int failing = 0;
    for (const auto& s : slots_) failing += s.failures > 0;
    store::Outbox box(ctx_.store->database());
    auto queued = box.count("queued");
    const std::string status = std::to_string(slots_.size()) + " mailboxes, " + std::to_string(failing) + " failing, " +
                               std::to_string(queued ? *queued : -1) + " queued";
    sd_notifyf(0, "STATUS=%s\nWATCHDOG=1", status.c_str());
  }

  void sleep_until_next() {
    std::int64_t next = clock_.now() + 60;
    for (const auto& s : slots_) next = std::min(next, s.due);
    store::Outbox box(ctx_.store->database());
    if (auto due = box.due(clock_.now() + 5, 1); due && !due->empty()) next = std::min(next, clock_.now() + 5);
    // Short steps: signals, the watchdog and changed files are noticed within a second.
    while (!g_stop && !g_reload && clock_.now() < std::max(next, clock_.now() + 1)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      sd_notify(0, "WATCHDOG=1");
      if (clock_.now() >= next) break;
    }
  }

  Context& ctx_;
  bool once_;
  engine::SetupWatcher watcher_;
  std::vector<Slot> slots_;
  std::unique_ptr<transport::Sender> sender_;
  SystemClock clock_;
};

}  // namespace

Command add_serve(CLI::App& app) {
  auto once = std::make_shared<bool>(false);
  Command c;
  c.app = app.add_subcommand("serve", "Run the daemon: poll the mailboxes, send the outbox (Ctrl-C or SIGTERM stops)");
  c.app->add_flag("--once", *once, "one full cycle (every mailbox, the outbox), then exit: cron, tests, the demo");
  c.needs = Needs::routing;
  c.run = [once](Context& ctx) -> int {
    install_signals();
    if (spdlog::get_level() > spdlog::level::info)
      spdlog::set_level(spdlog::level::info);  // a daemon says what it does
    Daemon d(ctx, *once);
    return d.run();
  };
  return c;
}

}  // namespace guichet::cli
