#include "engine/poll.h"

#include <spdlog/spdlog.h>

#include <csignal>

#include <algorithm>
#include <utility>
#include <vector>

#include "engine/connections.h"
#include "engine/ingest.h"
#include "engine/prefetch.h"
#include "engine/token_key.h"
#include "store/batch.h"
#include "util/failpoint.h"
#include "util/strings.h"

namespace guichet::engine {

namespace {

// How many messages the fetcher may hold ahead of the ingest.
constexpr size_t kFetchAhead = 8;

void log_outcome(const std::string& mailbox, const std::string& where, const Outcome& out) {
  spdlog::info("mailbox {} {} Message-ID <{}>: {} {} ({})", mailbox, where, out.message_id,
               threading::kind_name(out.kind), out.reference, out.matched_by);
}

}  // namespace

MailboxPoller::MailboxPoller(config::Mailbox mailbox, std::unique_ptr<transport::Source> source)
    : mailbox_(std::move(mailbox)), source_(std::move(source)) {}

Result<transport::Source*> MailboxPoller::source() {
  if (!source_) {
    auto made = make_source(mailbox_);
    if (!made) return made.error();
    source_ = std::move(*made);
  }
  return source_.get();
}

Result<void> MailboxPoller::finish_owed(store::Store& store, transport::Source& source, std::uint32_t uidvalidity) {
  store::MailboxStates states = store.mailboxes();
  auto pending = states.pending(mailbox_.name);
  if (!pending) return pending.error();
  std::vector<transport::Owed> owed;
  std::vector<std::int64_t> done;
  for (const auto& a : *pending) {
    if (a.uidvalidity != uidvalidity) continue;
    owed.push_back({static_cast<std::uint32_t>(a.uid), a.was_seen});
    done.push_back(a.uid);
  }
  if (owed.empty()) return {};
  if (auto r = source.finish(owed, after_of(mailbox_)); !r) return r;
  auto tx = store.transaction();
  if (!tx) return tx.error();
  if (auto r = states.clear_pending(mailbox_.name, uidvalidity, done); !r) return r;
  return tx->commit();
}

Result<MailboxPoller::Start> MailboxPoller::position(store::Store& store, transport::Source& source) {
  Start start;
  if (!source.durable_uids()) return start;  // every message still there is new
  auto status = source.status();
  if (!status) return status.error();
  start.uidvalidity = status->uidvalidity;
  store::MailboxStates states = store.mailboxes();
  auto state = states.get(mailbox_.name);
  if (!state) return state.error();
  if (*state && (*state)->uidvalidity) {
    if (static_cast<std::uint32_t>(*(*state)->uidvalidity) == start.uidvalidity) {
      start.last = static_cast<std::uint32_t>((*state)->last_uid);
      return start;
    }
    // The folder was deleted and recreated (or restored): every UID is new. Rescan it; what is
    // already stored is recognised by Message-ID and content and becomes a duplicate.
    spdlog::warn("mailbox {}: UIDVALIDITY changed from {} to {}: rescanning the folder", mailbox_.name,
                 *(*state)->uidvalidity, start.uidvalidity);
    source.reset();
    auto tx = store.transaction();
    if (!tx) return tx.error();
    if (auto r = states.drop_pending(mailbox_.name, start.uidvalidity); !r) return r.error();
    if (auto r = states.set_position(mailbox_.name, start.uidvalidity, 0); !r) return r.error();
    if (auto r = tx->commit(); !r) return r.error();
    return start;
  }
  // First run.
  const std::uint32_t newest = status->uidnext > 0 ? status->uidnext - 1 : 0;
  if (mailbox_.start == "now") {
    start.last = newest;
    spdlog::info("mailbox {}: first run, start: now: mail from UID {} on", mailbox_.name, start.last + 1);
  } else if (istarts_with(mailbox_.start, "since:")) {
    // The mail received since that day now; from then on, only what arrives after it.
    auto since = source.uids_since(mailbox_.start.substr(6));
    if (!since) return since.error();
    start.uids = std::move(*since);
    start.last = newest;
  }
  auto tx = store.transaction();
  if (!tx) return tx.error();
  if (auto r = states.set_position(mailbox_.name, start.uidvalidity, start.last); !r) return r.error();
  if (auto r = tx->commit(); !r) return r.error();
  return start;
}

Result<PollResult> MailboxPoller::poll(store::Store& store, const Setup& setup, const Clock& clock,
                                       const std::function<bool()>& stop) {
  PollResult result;
  auto src = source();
  if (!src) return src.error();
  transport::Source& source = **src;
  const bool durable = source.durable_uids();
  auto start = position(store, source);
  if (!start) return start.error();
  const std::uint32_t validity = start->uidvalidity;
  if (durable) {
    if (auto r = finish_owed(store, source, validity); !r) return r.error();
  }
  std::vector<std::uint32_t> uids;
  if (start->uids) {
    uids = std::move(*start->uids);
  } else {
    auto found = source.uids_after(start->last);
    if (!found) return found.error();
    uids = std::move(*found);
  }
  auto seen = source.seen(uids);
  if (!seen) return seen.error();

  // A Sent folder is read as part of its mailbox: the same address, the same department.
  const bool sent = !mailbox_.sent_folder_of.empty();
  auto prepared = prepare_ingest(store, setup, sent ? mailbox_.sent_folder_of : mailbox_.name);
  if (!prepared) return prepared.error();
  IngestOptions options = std::move(*prepared);
  options.sent_folder = sent;
  store::MailboxStates states = store.mailboxes();
  store::Batch batch(store);
  // What the open batch holds: logged, counted and (without durable UIDs) finished once committed.
  std::vector<std::pair<std::uint32_t, Outcome>> in_batch;
  size_t done = 0;
  auto commit = [&]() -> Result<void> {
    if (!batch.open()) return {};
    if (auto r = batch.commit(); !r) return r;
    std::vector<transport::Owed> owed;
    for (const auto& [uid, out] : in_batch) {
      log_outcome(mailbox_.name, durable ? "UID " + std::to_string(uid) : source.location(validity, uid), out);
      if (out.kind == Decision::Kind::duplicate)
        ++result.duplicates;
      else
        ++result.ingested;
      owed.push_back({uid, seen->count(uid) > 0});
    }
    done += in_batch.size();
    in_batch.clear();
    // A Maildir message may leave new/ only now; a crash before brings it back as a duplicate.
    if (!durable) return source.finish(owed, after_of(mailbox_));
    return {};
  };
  {
    Prefetcher ahead(source, uids, validity, kFetchAhead, options.limits, stop);
    std::uint32_t reached = 0;
    std::uint32_t last = start->last;
    while (auto next = ahead.next()) {
      if (stop && stop()) break;
      if (!next->mail) {
        if (auto r = commit(); !r) return r.error();
        return next->mail.error();
      }
      const std::uint32_t uid = next->uid;
      reached = uid;
      if (auto r = batch.begin(); !r) return r.error();
      auto out =
          ingest(store, *next->mail, store::Source{mailbox_.name, source.location(validity, uid), ""}, options, clock);
      if (!out) return out.error();  // the open batch rolls back: those messages come again next poll
      if (durable) {
        last = std::max(uid, last);
        if (auto r = states.set_position(mailbox_.name, validity, last); !r) return r.error();
        if (auto r = states.add_pending(mailbox_.name, {validity, uid, seen->count(uid) > 0}); !r) return r.error();
      }
      in_batch.emplace_back(uid, std::move(*out));
      if (batch.add()) {
        if (auto r = commit(); !r) return r.error();
      }
    }
    if (auto r = commit(); !r) return r.error();
    // A message deleted between the search and the fetch is skipped, not waiting: only a stop
    // leaves mail for the next poll.
    if (stop && stop())
      result.waiting = static_cast<int>(
          std::count_if(uids.begin(), uids.end(), [reached](std::uint32_t u) { return u > reached; }));
  }  // the fetcher is joined: the connection is ours again
  // The worst moment to die: committed, the server not told yet (tests kill the daemon here).
  if (done > 0 && failpoint_active("poll.after_commit")) raise(SIGKILL);
  // Only now, after the commits, is the server told.
  if (durable) {
    if (auto r = finish_owed(store, source, validity); !r) return r.error();
  }
  auto tx = store.transaction();
  if (!tx) return tx.error();
  if (auto r = states.set_waiting(mailbox_.name, result.waiting); !r) return r.error();
  if (auto r = states.poll_succeeded(mailbox_.name, clock.now()); !r) return r.error();
  if (auto r = tx->commit(); !r) return r.error();
  return result;
}

}  // namespace guichet::engine
