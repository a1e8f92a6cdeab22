#include "engine/poll.h"

#include <spdlog/spdlog.h>

#include <csignal>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "store/mailbox_state.h"
#include "transport/mail_files.h"
#include "transport/sender.h"
#include "util/failpoint.h"
#include "util/strings.h"

namespace guichet::engine {

namespace fs = std::filesystem;

namespace {

void log_outcome(const std::string& mailbox, const std::string& where, const Outcome& out) {
  spdlog::info("mailbox {} {} Message-ID <{}>: {} {} ({})", mailbox, where, out.message_id, kind_name(out.kind),
               out.reference, out.matched_by);
}

void count(PollResult& r, const Outcome& out) {
  if (out.kind == Decision::Kind::duplicate)
    ++r.duplicates;
  else
    ++r.ingested;
}

}  // namespace

Result<PollResult> MailboxPoller::poll(store::Store& store, const Setup& setup, const Clock& clock,
                                       const std::function<bool()>& stop) {
  if (istarts_with(mailbox_.url, "maildir://")) return poll_maildir(store, setup, clock, stop);
  return poll_imap(store, setup, clock, stop);
}

Result<transport::ImapMailbox*> MailboxPoller::imap() {
  if (imap_) return imap_.get();
  transport::ImapSettings s;
  s.url = mailbox_.url;
  s.user = mailbox_.user;
  s.tls_required = mailbox_.tls != "none";
  s.ca_file = mailbox_.tls_ca_file;
  if (!mailbox_.oauth2_token_file.empty()) {
    auto token = transport::read_secret(mailbox_.oauth2_token_file, "");
    if (!token) return token.error();
    s.oauth2_token = *token;
  } else if (!mailbox_.password_credential.empty()) {
    // systemd's LoadCredential= puts it in $CREDENTIALS_DIRECTORY, readable by this service only.
    const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
    if (!dir) return make_error(Errc::config, "mailbox " + mailbox_.name + ": CREDENTIALS_DIRECTORY is not set");
    auto pw = transport::read_secret(std::string(dir) + "/" + mailbox_.password_credential, "");
    if (!pw) return pw.error();
    s.password = *pw;
  } else {
    auto pw = transport::read_secret(mailbox_.password_file, mailbox_.password_env);
    if (!pw) return pw.error();
    s.password = *pw;
  }
  imap_ = std::make_unique<transport::ImapMailbox>(std::move(s));
  return imap_.get();
}

Result<void> MailboxPoller::finish_owed(store::Store& store, std::uint32_t uidvalidity) {
  store::MailboxStates states(store.database());
  auto owed = states.pending(mailbox_.name);
  if (!owed) return owed.error();
  std::vector<std::uint32_t> all, unseen;
  std::vector<std::int64_t> done;
  for (const auto& a : *owed) {
    if (a.uidvalidity != uidvalidity) continue;
    all.push_back(static_cast<std::uint32_t>(a.uid));
    if (!a.was_seen) unseen.push_back(static_cast<std::uint32_t>(a.uid));
    done.push_back(a.uid);
  }
  if (all.empty()) return {};
  auto box = imap();
  if (!box) return box.error();
  const std::string& after = mailbox_.after;
  // Our fetch set \Seen: a message a human had not opened must look unopened again.
  if (after != "seen") {
    if (auto r = (*box)->store_flags(unseen, false, "\\Seen"); !r) return r;
  }
  if (after == "flag") {
    if (auto r = (*box)->store_flags(all, true, "$Guichet"); !r) return r;
  } else if (after == "seen") {
    if (auto r = (*box)->store_flags(all, true, "$Guichet \\Seen"); !r) return r;
  } else if (istarts_with(after, "move:")) {
    if (auto r = (*box)->store_flags(all, true, "$Guichet"); !r) return r;
    if (auto r = (*box)->move(all, after.substr(5)); !r) return r;
  }
  auto tx = store.transaction();
  if (!tx) return tx.error();
  if (auto r = states.clear_pending(mailbox_.name, uidvalidity, done); !r) return r;
  return tx->commit();
}

Result<PollResult> MailboxPoller::poll_imap(store::Store& store, const Setup& setup, const Clock& clock,
                                            const std::function<bool()>& stop) {
  PollResult result;
  auto box = imap();
  if (!box) return box.error();
  auto status = (*box)->status();
  if (!status) return status.error();
  const std::uint32_t validity = status->uidvalidity;
  store::MailboxStates states(store.database());
  auto state = states.get(mailbox_.name);
  if (!state) return state.error();

  std::uint32_t last = 0;
  std::vector<std::uint32_t> uids;
  bool have_uids = false;
  if (*state && (*state)->uidvalidity) {
    if (static_cast<std::uint32_t>(*(*state)->uidvalidity) == validity) {
      last = static_cast<std::uint32_t>((*state)->last_uid);
    } else {
      // The folder was deleted and recreated (or restored): every UID is new. Rescan it; what
      // is already stored is recognised by Message-ID and content and becomes a duplicate.
      spdlog::warn("mailbox {}: UIDVALIDITY changed from {} to {}: rescanning the folder", mailbox_.name,
                   *(*state)->uidvalidity, validity);
      (*box)->reset();
      auto tx = store.transaction();
      if (!tx) return tx.error();
      if (auto r = states.drop_pending(mailbox_.name, validity); !r) return r.error();
      if (auto r = states.set_position(mailbox_.name, validity, 0); !r) return r.error();
      if (auto r = tx->commit(); !r) return r.error();
    }
  } else {
    // First run.
    if (mailbox_.start == "now") {
      last = status->uidnext > 0 ? status->uidnext - 1 : 0;
      spdlog::info("mailbox {}: first run, start: now: mail from UID {} on", mailbox_.name, last + 1);
    } else if (istarts_with(mailbox_.start, "since:")) {
      // The mail received since that day now; from then on, only what arrives after it.
      auto since = (*box)->uids_since(mailbox_.start.substr(6));
      if (!since) return since.error();
      uids = *since;
      have_uids = true;
      last = status->uidnext > 0 ? status->uidnext - 1 : 0;
    }
    auto tx = store.transaction();
    if (!tx) return tx.error();
    if (auto r = states.set_position(mailbox_.name, validity, last); !r) return r.error();
    if (auto r = tx->commit(); !r) return r.error();
  }
  if (auto r = finish_owed(store, validity); !r) return r.error();

  if (!have_uids) {
    auto found = (*box)->uids_after(last);
    if (!found) return found.error();
    uids = *found;
  }
  auto seen = (*box)->seen(uids);
  if (!seen) return seen.error();
  IngestOptions options = ingest_options(setup, mailbox_.name);
  size_t done = 0;
  // Messages are committed in batches (at most 100 or one second of work): one fsync per batch
  // instead of one per message. Nothing reaches the server before its batch is committed, and
  // a batch is committed before a stop or an error is returned.
  std::optional<store::Transaction> tx;
  std::vector<std::pair<std::uint32_t, Outcome>> batch;
  auto batch_started = std::chrono::steady_clock::now();
  auto commit = [&]() -> Result<void> {
    if (!tx) return {};
    if (auto r = tx->commit(); !r) return r;
    tx.reset();
    for (const auto& [uid, out] : batch) {
      log_outcome(mailbox_.name, "UID " + std::to_string(uid), out);
      count(result, out);
    }
    done += batch.size();
    batch.clear();
    return {};
  };
  {
    // Fetching and ingesting overlap: a second thread fetches the next messages (at most 8 ahead)
    // while this one parses, routes and stores. The IMAP connection belongs to that thread until it
    // is joined; nothing it fetched reaches the server's flags before its batch is committed.
    struct Fetched {
      std::uint32_t uid;
      Result<std::string> raw;
    };
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Fetched> queue;
    bool fetching = true, abort = false;
    transport::ImapMailbox* connection = *box;
    std::thread fetcher([&] {
      for (std::uint32_t uid : uids) {
        if (stop && stop()) break;
        auto raw = connection->fetch(uid, validity);
        const bool failed = !raw;
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return queue.size() < 8 || abort; });
        if (abort) break;
        queue.push_back(Fetched{uid, std::move(raw)});
        cv.notify_all();
        if (failed) break;
      }
      std::lock_guard lock(mu);
      fetching = false;
      cv.notify_all();
    });
    struct Join {
      std::thread& t;
      std::mutex& mu;
      std::condition_variable& cv;
      bool& abort;
      ~Join() {
        {
          std::lock_guard lock(mu);
          abort = true;
        }
        cv.notify_all();
        t.join();
      }
    } join{fetcher, mu, cv, abort};
    for (;;) {
      std::optional<Fetched> next;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return !queue.empty() || !fetching; });
        if (queue.empty()) break;
        next.emplace(std::move(queue.front()));
        queue.pop_front();
        cv.notify_all();
      }
      if (stop && stop()) break;
      const std::uint32_t uid = next->uid;
      auto& raw = next->raw;
      if (!raw) {
        if (auto r = commit(); !r) return r.error();
        return raw.error();
      }
      if (!tx) {
        auto t = store.transaction();
        if (!t) return t.error();
        tx.emplace(std::move(*t));
        batch_started = std::chrono::steady_clock::now();
      }
      const std::string where = std::to_string(validity) + "/" + std::to_string(uid);
      auto out = ingest(store, *raw, store::Source{mailbox_.name, where, ""}, options, clock);
      if (!out) return out.error();  // the open batch rolls back: those messages come again next poll
      if (auto r = states.set_position(mailbox_.name, validity, std::max(uid, last)); !r) return r.error();
      const bool was_seen = seen->count(uid) > 0;
      if (auto r = states.add_pending(mailbox_.name, {validity, uid, was_seen}); !r) return r.error();
      batch.emplace_back(uid, std::move(*out));
      if (batch.size() >= 100 || std::chrono::steady_clock::now() - batch_started > std::chrono::seconds(1)) {
        if (auto r = commit(); !r) return r.error();
      }
    }
    if (auto r = commit(); !r) return r.error();
  }  // the fetcher is joined: the connection is ours again
  result.waiting = static_cast<int>(uids.size() - done);
  // The worst moment to die: committed, the server not told yet (tests kill the daemon here).
  if (done > 0 && failpoint_active("poll.after_commit")) raise(SIGKILL);
  // Only now, after the commits, is the server told.
  if (auto r = finish_owed(store, validity); !r) return r.error();
  auto done_tx = store.transaction();
  if (!done_tx) return done_tx.error();
  if (auto r = states.set_waiting(mailbox_.name, result.waiting); !r) return r.error();
  if (auto r = states.poll_succeeded(mailbox_.name, clock.now()); !r) return r.error();
  if (auto r = done_tx->commit(); !r) return r.error();
  return result;
}

Result<PollResult> MailboxPoller::poll_maildir(store::Store& store, const Setup& setup, const Clock& clock,
                                               const std::function<bool()>& stop) {
  PollResult result;
  const fs::path dir = mailbox_.url.substr(std::string("maildir://").size());
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir / "new", ec))
    if (e.is_regular_file() && e.path().filename().string()[0] != '.')
      files.push_back(e.path());  // Maildir: dot files are not mail
  if (ec) return make_error(Errc::temp_fail, (dir / "new").string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  IngestOptions options = ingest_options(setup, mailbox_.name);
  store::MailboxStates states(store.database());
  size_t done = 0;
  for (const auto& f : files) {
    if (stop && stop()) break;
    auto raw = transport::read_one(f.string());
    if (!raw) return raw.error();
    auto tx = store.transaction();
    if (!tx) return tx.error();
    auto out = ingest(store, *raw, store::Source{mailbox_.name, f.filename().string(), ""}, options, clock);
    if (!out) return out.error();
    if (auto r = tx->commit(); !r) return r.error();
    // Committed: now the file may leave new/. A crash before the rename brings it back as a
    // duplicate, never as a loss.
    fs::path target_dir = dir / "cur";
    if (istarts_with(mailbox_.after, "move:")) {
      std::string folder = ".";
      folder.append(mailbox_.after, 5, std::string::npos);  // Maildir++: .Folder
      target_dir = dir / folder / "cur";
    }
    fs::create_directories(target_dir, ec);
    const std::string info = mailbox_.after == "seen" ? ":2,S" : ":2,";
    fs::rename(f, target_dir / (f.filename().string() + info), ec);
    if (ec) return make_error(Errc::temp_fail, f.string() + ": " + ec.message());
    log_outcome(mailbox_.name, f.filename().string(), *out);
    count(result, *out);
    ++done;
  }
  result.waiting = static_cast<int>(files.size() - done);
  auto tx = store.transaction();
  if (!tx) return tx.error();
  if (auto r = states.set_waiting(mailbox_.name, result.waiting); !r) return r.error();
  if (auto r = states.poll_succeeded(mailbox_.name, clock.now()); !r) return r.error();
  if (auto r = tx->commit(); !r) return r.error();
  return result;
}

}  // namespace guichet::engine
