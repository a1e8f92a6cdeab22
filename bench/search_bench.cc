// Search and the web view over a large commune (issue "Élus and the pilot find any request in a
// second"), in one run:
//   1. what the search index costs at ingest: SAMPLE generated mails (bench/town_mail.h) into a
//      fresh database with the index kept current, then the same mails with it off; the rate and
//      the size of each database;
//   2. a database of COUNT messages (built once, kept in DIR/big.db for the next run);
//   3. `Store::search` (what `guichet search` and the search page run): p50, p95 and the worst of
//      each kind of query — a full name without accents, a part of a surname, "Mme X", an address,
//      a word of the text, a reference in its short spelling, a two-word text search, the same
//      searches limited to one department (an élu of urbanisme) — then the `guichet search`
//      command itself, process start included;
//   4. the web view served in this process (web::Site on loopback, a real HTTP client): the
//      request page, the live view, the search page, "mes demandes", each as p50/p95/worst.
//   guichet-bench-search DIR COUNT SAMPLE GUICHET_BINARY
#include <fcntl.h>
#include <httplib.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "engine/ingest.h"
#include "engine/setup.h"
#include "engine/token_key.h"
#include "store/batch.h"
#include "store/store.h"
#include "town_mail.h"
#include "util/clock.h"
#include "util/sha256.h"
#include "web/site.h"

using namespace guichet;
namespace fs = std::filesystem;
using Clk = std::chrono::steady_clock;

namespace {

constexpr std::int64_t kStart = 1733040000;  // Sunday 1 December 2024: two years of mail before now
constexpr std::int64_t kStep = 60;           // one mail a minute, night and day: 1M mails ≈ 2 years

double ms_since(Clk::time_point t0) { return std::chrono::duration<double, std::milli>(Clk::now() - t0).count(); }

void report(const char* what, std::vector<double> ms, const char* unit_note = "") {
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<size_t>(q * static_cast<double>(ms.size())))]; };
  std::printf("  %-44s p50 %7.2f ms  p95 %7.2f ms  worst %7.2f ms  (%zu)%s\n", what, at(0.5), at(0.95), ms.back(),
              ms.size(), unit_note);
}

std::int64_t file_size(const std::string& path) {
  std::error_code ec;
  std::int64_t n = 0;
  for (const char* suffix : {"", "-wal"}) {
    auto s = fs::file_size(path + suffix, ec);
    if (!ec) n += static_cast<std::int64_t>(s);
  }
  return n;
}

// Ingests `count` mails of `gen` into `st`, in batches as the daemon commits. Seconds taken.
double ingest(store::Store& st, const engine::IngestOptions& opt, bench::TownMail& gen, long count,
              std::vector<size_t>* writers = nullptr) {
  FixedClock clock(kStart);
  store::Batch batch(st);
  const auto t0 = Clk::now();
  const auto tick = Clk::now();
  auto last = tick;
  for (long i = 0; i < count; ++i) {
    size_t who = 0;
    const std::string raw = gen.next(&who);
    if (writers) writers->push_back(who);
    clock.set(kStart + static_cast<std::int64_t>(writers ? writers->size() : static_cast<size_t>(i)) * kStep + 30);
    if (!batch.begin()) return -1;
    auto out = engine::ingest(st, raw, store::Source{"mairie", std::to_string(i), ""}, opt, clock);
    if (!out) return std::fprintf(stderr, "ingest: %s\n", out.error().message.c_str()), -1;
    if (batch.add() && !batch.commit()) return -1;
    if (count > 100000 && ms_since(last) > 30000) {
      last = Clk::now();
      std::printf("  … %ld of %ld (%.0f msg/s)\n", i + 1, count, (i + 1) / (ms_since(t0) / 1000));
      std::fflush(stdout);
    }
  }
  if (!batch.commit()) return -1;
  return ms_since(t0) / 1000;
}

// Runs the command line, returns the wall time in ms (process start, configuration, database).
double run_command(const std::vector<std::string>& argv) {
  // posix_spawn, as a shell starts a command: a fork() of this process (a large store, the web
  // server's threads) would copy its page tables first and add milliseconds no admin sees.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const auto t0 = Clk::now();
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    std::fprintf(stderr, "%s: cannot start: %s\n", argv[0].c_str(), std::strerror(rc));
    return 0;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const double ms = ms_since(t0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) std::fprintf(stderr, "%s: exit %d\n", argv[0].c_str(), status);
  return ms;
}

// A second, read-only connection for what the benchmark itself wants to know (sizes, references).
class Peek {
 public:
  explicit Peek(const std::string& path) { sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr); }
  ~Peek() { sqlite3_close(db_); }
  Peek(const Peek&) = delete;
  Peek& operator=(const Peek&) = delete;
  std::string text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_text(st, 0))
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
  }
  long long number(const std::string& sql) {
    const std::string t = text(sql);
    return t.empty() ? -1 : std::stoll(t);
  }

 private:
  sqlite3* db_ = nullptr;
};

// A commune's years as the pages see them: what is older than six weeks was answered and closed,
// a third of the rest answered. (Plain SQL: the bench shapes its data, the engine is not measured.)
void close_old_requests(const std::string& path, std::int64_t now) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  const std::string cut = std::to_string(now - 42 * 86400);
  const std::string sql =
      "UPDATE requests SET first_answer_at = received_at + 3600 * (1 + abs(random()) % 150) WHERE first_answer_at IS NULL "
      "AND (received_at < " + cut + " OR abs(random()) % 3 = 0);"
      "UPDATE requests SET status = 'closed', closed_at = first_answer_at + 86400 WHERE received_at < " + cut + ";"
      "UPDATE requests SET status = 'answered' WHERE status <> 'closed' AND first_answer_at IS NOT NULL;";
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) std::fprintf(stderr, "shape: %s\n", err);
  sqlite3_free(err);
  sqlite3_close(db);
}

std::string lower_ascii(const std::string& s) {  // what a hurried élu types: no capitals, no accents
  return store::search_text(s);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DIR COUNT SAMPLE GUICHET_BINARY\n", argv[0]);
    return 64;
  }
  spdlog::set_level(spdlog::level::warn);
  const std::string dir = argv[1], binary = argv[4];
  const long count = std::stol(argv[2]), sample = std::stol(argv[3]);
  const std::string src = GUICHET_SOURCE_DIR;
  const std::string config = dir + "/guichet.yaml";
  {
    std::ofstream c(config);
    c << "commune: Champignac-en-Cambrousse\ndatabase: big.db\ndirectory: " << src << "/etc/directory.yaml\nrules: "
      << src << "/rules\nmailboxes:\n  - {name: mairie, url: 'maildir://in', department: accueil, address: "
      << "mairie@champignac.example}\nsmtp:\n  url: maildir://outbox\ndeadlines:\n  digest_at: 'off'\n"
      << "web:\n  base_url: https://guichet.champignac.example\n";
  }
  auto loaded = engine::load_setup(config);
  if (!loaded) return std::fprintf(stderr, "%s\n", loaded.error().message.c_str()), 1;
  std::shared_ptr<const engine::Setup> setup = std::move(*loaded);

  // 1. The index's cost at ingest: the same mails, with and without it, each on a fresh database;
  // five rounds, alternating which goes first, the median of each (this machine's noise between
  // two runs of the same thing is larger than the difference measured).
  std::printf("1. ingest of %ld mails into a fresh database, with and without the search index (5 rounds)\n", sample);
  std::vector<double> rate[2];
  std::int64_t size[2] = {0, 0};
  for (int round = 0; round < (sample > 0 ? 5 : 0); ++round) {
    for (bool indexed : {round % 2 == 0, round % 2 != 0}) {
      const std::string db = dir + (indexed ? "/with.db" : "/without.db");
      fs::remove(db), fs::remove(db + "-wal"), fs::remove(db + "-shm");
      auto st = store::Store::open(db);
      if (!st) return std::fprintf(stderr, "%s\n", st.error().message.c_str()), 1;
      st->set_search_indexing(indexed);
      auto opt = engine::prepare_ingest(*st, *setup, "mairie");
      if (!opt) return 1;
      bench::TownMail gen(7, kStart, kStep);
      const double s = ingest(*st, *opt, gen, sample);
      if (s < 0) return 1;
      rate[indexed].push_back(static_cast<double>(sample) / s);
      std::printf("  round %d, %s the index: %.0f msg/s\n", round + 1, indexed ? "with" : "without",
                  static_cast<double>(sample) / s);
      size[indexed] = file_size(db);
    }
  }
  if (sample > 0) {
    for (auto& r : rate) std::sort(r.begin(), r.end());
    const double with = rate[1][2], without = rate[0][2];
    std::printf("  with the index:   median %5.0f msg/s (%5.0f to %5.0f), database %6.1f MB\n", with, rate[1].front(),
                rate[1].back(), static_cast<double>(size[1]) / 1e6);
    std::printf("  without it:       median %5.0f msg/s (%5.0f to %5.0f), database %6.1f MB\n", without,
                rate[0].front(), rate[0].back(), static_cast<double>(size[0]) / 1e6);
    std::printf("  the index costs %.1f %% of the ingest rate, %.1f %% of the database\n", 100 * (1 - with / without),
                100.0 * static_cast<double>(size[1] - size[0]) / static_cast<double>(size[0]));
  }
  if (count == 0) return 0;  // the ingest comparison only

  // 2. The large database.
  const std::string big = dir + "/big.db";
  bench::TownMail gen(11, kStart, kStep);
  std::vector<size_t> writers;
  writers.reserve(static_cast<size_t>(count));
  if (!fs::exists(big)) {
    std::printf("2. building %s: %ld messages\n", big.c_str(), count);
    auto st = store::Store::open(big);
    if (!st) return std::fprintf(stderr, "%s\n", st.error().message.c_str()), 1;
    auto opt = engine::prepare_ingest(*st, *setup, "mairie");
    if (!opt) return 1;
    const double s = ingest(*st, *opt, gen, count, &writers);
    if (s < 0) return 1;
    std::printf("  %ld messages in %.0f s (%.0f msg/s)\n", count, s, static_cast<double>(count) / s);
    close_old_requests(big, kStart + count * kStep);
  } else {
    std::printf("2. %s exists: reused (delete it to rebuild)\n", big.c_str());
    for (long i = 0; i < count; ++i) {
      size_t who = 0;
      gen.next(&who);
      writers.push_back(who);
    }
  }
  auto opened = store::Store::open(big);
  if (!opened) return 1;
  auto& st = *opened;
  Peek peek(big);
  std::printf("  %lld messages, %lld requests, database %.0f MB\n", peek.number("SELECT count(*) FROM messages"),
              peek.number("SELECT count(*) FROM requests"), static_cast<double>(file_size(big)) / 1e6);
  {
    const double all = static_cast<double>(peek.number("SELECT sum(pgsize) FROM dbstat WHERE name GLOB 'search*'"));
    const double names = static_cast<double>(peek.number("SELECT sum(pgsize) FROM dbstat WHERE name GLOB 'search_names*'"));
    std::printf("  of which the search index: %.0f MB (words %.0f MB, trigrams of names %.0f MB)\n", all / 1e6,
                (all - names) / 1e6, names / 1e6);
  }

  // 3. Queries, drawn from residents who wrote.
  std::mt19937 rng(3);
  auto resident = [&]() -> const bench::TownMail::Resident& { return gen.residents()[writers[rng() % writers.size()]]; };
  const long long max_request = std::max(1LL, peek.number("SELECT max(id) FROM requests"));
  auto reference = [&] {
    const std::string r = peek.text("SELECT reference FROM requests WHERE id = " + std::to_string(1 + rng() % max_request));
    return r.empty() ? std::string("2025-000001") : r;
  };
  std::vector<std::pair<std::string, std::function<std::string()>>> kinds = {
      {"a full name, no accents, no capitals", [&] { const auto& r = resident(); return lower_ascii(r.first + " " + r.last); }},
      {"the start of a surname (5 letters)", [&] { return lower_ascii(resident().last).substr(0, 5); }},
      {"\"Mme\" and a surname", [&] { return "Mme " + resident().last; }},
      {"an address", [&] { return resident().address; }},
      {"a word of the text", [&] { auto w = bench::TownMail::words(); return w[rng() % w.size()]; }},
      {"two words of the text", [&] { auto w = bench::TownMail::words(); return w[rng() % w.size()] + " " + w[rng() % w.size()]; }},
      {"a reference, short (2025-1234)", [&] {
         const std::string ref = reference();
         return ref.substr(0, 5) + std::to_string(std::stol(ref.substr(5)));
       }},
  };
  std::printf("3. Store::search over %ld messages, 200 queries of each kind, 20 results\n", count);
  for (bool scoped : {false, true}) {
    if (scoped) std::printf("  as an élu who sees only urbanisme:\n");
    for (auto& [what, make] : kinds) {
      std::vector<double> ms;
      std::vector<std::pair<double, std::string>> slowest;  // what to look at when a p95 is high
      size_t empty = 0;
      for (int i = 0; i < 200; ++i) {
        store::SearchQuery q;
        q.text = make();
        if (scoped) q.everything = false, q.departments = {"urbanisme"};
        const auto t0 = Clk::now();
        auto found = st.search(q);
        ms.push_back(ms_since(t0));
        if (!found) return std::fprintf(stderr, "search: %s\n", found.error().message.c_str()), 1;
        if (found->empty()) ++empty;
        slowest.emplace_back(ms.back(), q.text + (found->empty() ? " (nothing)" : ""));
      }
      const std::string note = empty ? "  " + std::to_string(empty) + " found nothing" : "";
      report(what.c_str(), ms, note.c_str());
      std::sort(slowest.rbegin(), slowest.rend());
      std::printf("    slowest:");
      for (size_t k = 0; k < std::min<size_t>(3, slowest.size()); ++k)
        std::printf(" \"%s\" %.1f ms%s", slowest[k].second.c_str(), slowest[k].first, k < 2 ? "," : "\n");
    }
  }
  {
    // The command as an admin or a script runs it: a new process each time, its own cold cache.
    std::printf("  `guichet search`, the whole command (a process each time, 200 of each):\n");
    auto command = [&](const char* what, const std::function<std::string()>& make) {
      std::vector<double> ms;
      std::vector<std::pair<double, std::string>> slowest;
      for (int i = 0; i < 200; ++i) {
        const std::string query = make();
        ms.push_back(run_command({binary, "--config", config, "search", query}));
        slowest.emplace_back(ms.back(), query);
      }
      report(what, ms);
      std::sort(slowest.rbegin(), slowest.rend());
      std::printf("    slowest: \"%s\" %.1f ms, \"%s\" %.1f ms\n", slowest[0].second.c_str(), slowest[0].first,
                  slowest[1].second.c_str(), slowest[1].first);
    };
    command("a full name", [&] {
      const auto& r = resident();
      return lower_ascii(r.first + " " + r.last);
    });
    command("a word of the text", [&] {
      auto w = bench::TownMail::words();
      return w[rng() % w.size()];
    });
    command("a reference", [&] { return reference(); });
    command("the start of a surname (5 letters)", [&] { return lower_ascii(resident().last).substr(0, 5); });
    command("\"Mme\" and a surname", [&] { return "Mme " + resident().last; });
    std::vector<double> start;
    for (int i = 0; i < 200; ++i) start.push_back(run_command({binary, "--version"}));
    report("`guichet --version` (starting a process)", start);
  }

  // 4. The web view.
  FixedClock now(kStart + count * kStep + 3600);
  web::Site site(setup, big, now);
  httplib::Server server;
  site.mount(server);
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto cookie = [&](const std::string& address) {
    const std::string value = "bench-session-" + address + "-0123456789abcdef";
    (void)st.web().put_session(sha256_hex(value), {address, "csrf-0123456789abcdef0123456789", now.now(), now.now()});
    return httplib::Headers{{"Cookie", "guichet_session=" + value}};
  };
  const auto pilot = cookie("v.durand@champignac.example");
  const auto agent = cookie("p.martin@champignac.example");
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(30);
  std::printf("4. the web view (in this process, over loopback HTTP)\n");
  auto page = [&](const char* what, int n, const httplib::Headers& who, const std::function<std::string()>& path) {
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
      const std::string p = path();
      const auto t0 = Clk::now();
      auto res = client.Get(p, who);
      ms.push_back(ms_since(t0));
      if (!res || res->status != 200) {
        std::fprintf(stderr, "GET %s: %d\n", p.c_str(), res ? res->status : -1);
        return false;
      }
    }
    report(what, ms);
    return true;
  };
  bool ok = page("a request (/demande/REF), the pilot", 200, pilot, [&] {
    return "/demande/" + reference();
  });
  ok = ok && page("the live view (/vue)", 30, pilot, [] { return std::string("/vue"); });
  ok = ok && page("the search page, a part of a surname", 100, pilot, [&] {
    return "/recherche?q=" + lower_ascii(resident().last).substr(0, 5);
  });
  ok = ok && page("mes demandes (an agent of voirie)", 30, agent, [] { return std::string("/mes-demandes"); });
  ok = ok && page("the figures (/chiffres)", 10, pilot, [] { return std::string("/chiffres"); });
  server.stop();
  serving.join();
  return ok ? 0 : 1;
}
