// The poller's never-lose, never-twice loop (lib/engine/poll.h) over an in-memory source: no
// server, every step observable. The same loop runs against Dovecot in test_daemon.cc.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "engine/poll.h"
#include "engine/watch.h"
#include "helpers.h"
#include "store/store.h"
#include "transport/source.h"

using namespace guichet;

namespace {

std::string mail_number(int n) {
  return "From: r" + std::to_string(n) + "@example.org\r\nSubject: Demande " + std::to_string(n) +
         "\r\nMessage-ID: <poll-" + std::to_string(n) + "@example.org>\r\n\r\nBonjour " + std::to_string(n) + "\r\n";
}

// A folder in memory: UIDs, \Seen, and what the poller told it.
class MemorySource final : public transport::Source {
 public:
  std::uint32_t uidvalidity = 7;
  std::map<std::uint32_t, std::string> messages;
  std::set<std::uint32_t> seen_by_human;
  std::uint32_t fail_fetch_at = 0;  // a fetch of this UID fails (the connection drops)
  bool fail_finish = false;
  std::vector<std::vector<transport::Owed>> finished;  // each finish() call
  std::vector<std::uint32_t> fetched;
  std::function<void()> on_finish;  // observes the database at the moment the server is told

  void add(int n) { messages[next_uid_++] = mail_number(n); }

  std::string describe() const override { return "memory"; }
  bool durable_uids() const override { return true; }
  Result<transport::FolderStatus> status() override {
    return transport::FolderStatus{uidvalidity, next_uid_, static_cast<std::uint32_t>(messages.size())};
  }
  Result<std::vector<std::uint32_t>> uids_after(std::uint32_t after) override {
    std::vector<std::uint32_t> out;
    for (const auto& [uid, _] : messages)
      if (uid > after) out.push_back(uid);
    return out;
  }
  Result<std::vector<std::uint32_t>> uids_since(const std::string&) override { return uids_after(0); }
  Result<std::set<std::uint32_t>> seen(const std::vector<std::uint32_t>& uids) override {
    std::set<std::uint32_t> out;
    for (auto u : uids)
      if (seen_by_human.count(u)) out.insert(u);
    return out;
  }
  Result<std::string> fetch(std::uint32_t uid, std::uint32_t v) override {
    if (v != uidvalidity) return make_error(Errc::data, "UIDVALIDITY changed");
    if (uid == fail_fetch_at) return make_error(Errc::temp_fail, "connection reset by peer");
    fetched.push_back(uid);
    return messages.at(uid);
  }
  Result<void> finish(const std::vector<transport::Owed>& owed, const transport::After&) override {
    if (on_finish) on_finish();
    if (fail_finish) return make_error(Errc::temp_fail, "server gone");
    finished.push_back(owed);
    return {};
  }
  std::string location(std::uint32_t v, std::uint32_t uid) const override {
    return std::to_string(v) + "/" + std::to_string(uid);
  }
  void reset() override {}

 private:
  std::uint32_t next_uid_ = 1;
};

struct Fixture {
  test::TempDir dir;
  std::optional<store::Store> st;
  engine::Setup setup;
  FixedClock clock{1795426200};
  MemorySource* source = nullptr;
  std::optional<engine::MailboxPoller> poller;

  explicit Fixture(const std::string& start = "all") {
    auto opened = store::Store::open(dir.str("g.db"));
    REQUIRE(opened);
    st.emplace(std::move(*opened));
    config::Mailbox mb;
    mb.name = "voirie";
    mb.url = "imap://memory/INBOX";
    mb.start = start;
    setup.config.mailboxes.push_back(mb);
    auto tpl = templates::TemplateSet::builtin();
    REQUIRE(tpl);
    setup.templates = std::move(*tpl);
    auto src = std::make_unique<MemorySource>();
    source = src.get();
    poller.emplace(mb, std::move(src));
  }
  Result<engine::PollResult> poll() { return poller->poll(*st, setup, clock); }
  size_t requests() {
    auto r = st->requests();
    REQUIRE(r);
    return r->size();
  }
  std::int64_t last_uid() {
    auto s = st->mailboxes().get("voirie");
    REQUIRE(s);
    REQUIRE(*s);
    return (*s)->last_uid;
  }
  size_t pending() {
    auto p = st->mailboxes().pending("voirie");
    REQUIRE(p);
    return p->size();
  }
};

}  // namespace

TEST_CASE("poll: every message is committed before the source hears of it, once, Seen as a human left it",
          "[poll]") {
  Fixture f;
  for (int i = 1; i <= 5; ++i) f.source->add(i);
  f.source->seen_by_human = {2};
  size_t requests_when_told = 0;
  f.source->on_finish = [&] { requests_when_told = f.requests(); };
  auto r = f.poll();
  REQUIRE(r);
  CHECK(r->ingested == 5);
  CHECK(requests_when_told == 5);  // committed first
  REQUIRE(f.source->finished.size() == 1);  // one call over the whole set
  REQUIRE(f.source->finished[0].size() == 5);
  for (const auto& o : f.source->finished[0]) CHECK(o.was_seen == (o.uid == 2));
  CHECK(f.last_uid() == 5);
  CHECK(f.pending() == 0);
  // A second poll takes nothing again.
  auto again = f.poll();
  REQUIRE(again);
  CHECK(again->ingested == 0);
  CHECK(f.source->fetched.size() == 5);
}

TEST_CASE("poll: a fetch that fails keeps what came before and resumes at that UID", "[poll]") {
  Fixture f;
  for (int i = 1; i <= 5; ++i) f.source->add(i);
  f.source->fail_fetch_at = 3;
  auto r = f.poll();
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("connection reset") != std::string::npos);
  CHECK(f.requests() == 2);
  CHECK(f.last_uid() == 2);
  f.source->fail_fetch_at = 0;
  auto again = f.poll();
  REQUIRE(again);
  CHECK(again->ingested == 3);
  CHECK(f.requests() == 5);
  // Messages 1 and 2 were told about (owed) on the second poll, with 3 to 5.
  size_t told = 0;
  for (const auto& call : f.source->finished) told += call.size();
  CHECK(told == 5);
}

TEST_CASE("poll: when the server cannot be told, the owed actions wait in the database", "[poll]") {
  Fixture f;
  for (int i = 1; i <= 3; ++i) f.source->add(i);
  f.source->fail_finish = true;
  REQUIRE_FALSE(f.poll());
  CHECK(f.requests() == 3);  // committed, never lost
  CHECK(f.pending() == 3);   // and still owed
  f.source->fail_finish = false;
  auto r = f.poll();
  REQUIRE(r);
  CHECK(r->ingested == 0);  // nothing taken twice
  CHECK(f.pending() == 0);
  REQUIRE(f.source->finished.size() == 1);
  CHECK(f.source->finished[0].size() == 3);
}

TEST_CASE("poll: a new UIDVALIDITY rescans the folder and doubles nothing", "[poll]") {
  Fixture f;
  for (int i = 1; i <= 3; ++i) f.source->add(i);
  REQUIRE(f.poll());
  f.source->uidvalidity = 8;  // the folder was recreated with the same mail
  auto r = f.poll();
  REQUIRE(r);
  CHECK(r->duplicates == 3);
  CHECK(r->ingested == 0);
  CHECK(f.requests() == 3);
}

TEST_CASE("poll: first run with start: now takes only what arrives afterwards", "[poll]") {
  Fixture f("now");
  for (int i = 1; i <= 3; ++i) f.source->add(i);
  auto r = f.poll();
  REQUIRE(r);
  CHECK(r->ingested == 0);
  f.source->add(4);
  r = f.poll();
  REQUIRE(r);
  CHECK(r->ingested == 1);
  CHECK(f.source->fetched == std::vector<std::uint32_t>{4});
}

TEST_CASE("poll: a stop request between messages commits what was done and leaves the rest waiting", "[poll]") {
  Fixture f;
  for (int i = 1; i <= 20; ++i) f.source->add(i);
  // The loop asks between messages (the fetcher thread asks too): stop after the third message.
  const auto loop = std::this_thread::get_id();
  int asked = 0;
  auto r = f.poller->poll(*f.st, f.setup, f.clock, [&] { return std::this_thread::get_id() == loop && ++asked > 3; });
  REQUIRE(r);
  CHECK(r->ingested == 3);
  CHECK(r->waiting == 17);
  CHECK(static_cast<int>(f.requests()) == r->ingested);
  CHECK(f.last_uid() == r->ingested);
  CHECK(f.pending() == 0);
}

namespace {
// A watcher that reports what it is told to, once each.
class ScriptedWatcher final : public transport::Watcher {
 public:
  explicit ScriptedWatcher(std::vector<Result<bool>> script) : script_(std::move(script)) {}
  Result<bool> wait(std::chrono::milliseconds max, const std::function<bool()>& stop) override {
    ++calls;
    if (next_ < script_.size()) return script_[next_++];
    // Then quiet: waits like a server with nothing new, until stopped.
    const auto until = std::chrono::steady_clock::now() + max;
    while (!stop() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return false;
  }
  std::string describe() const override { return "scripted"; }
  std::atomic<int> calls{0};

 private:
  std::vector<Result<bool>> script_;
  size_t next_ = 0;
};
}  // namespace

TEST_CASE("the watcher threads wake the daemon with news, and a server without IDLE leaves the poll alone",
          "[poll][idle]") {
  engine::MailWatch watch;
  auto news = std::make_unique<ScriptedWatcher>(std::vector<Result<bool>>{false, true});
  auto no_idle = std::make_unique<ScriptedWatcher>(
      std::vector<Result<bool>>{make_error(Errc::config, "the server does not offer IDLE")});
  ScriptedWatcher& without = *no_idle;
  watch.add("voirie", std::move(news), std::chrono::milliseconds(50));
  watch.add("urbanisme", std::move(no_idle), std::chrono::milliseconds(50));
  CHECK(watch.size() == 2);
  // A quiet wait says nothing; the news that follows wakes the loop at once.
  REQUIRE(watch.wait_for(std::chrono::seconds(5)));
  CHECK(watch.take_news() == std::set<std::string>{"voirie"});
  CHECK(watch.take_news().empty());
  CHECK_FALSE(watch.wait_for(std::chrono::milliseconds(100)));
  // The mailbox without IDLE asked once, then its thread ended: no busy loop against the server.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(without.calls == 1);
}
