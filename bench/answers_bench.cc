// The cost of an agent's answer: COUNT resident requests, then COUNT answers composed as Outlook
// writes them (the notice quoted under "De : … Envoyé : …"), each recognised by its token,
// authenticated, unquoted and relayed to the resident through the outbox, in batches of one
// second as the daemon commits. Prints the time per answer against the time per resident mail.
//   guichet-bench-answers DIR COUNT   (DIR: an empty folder for the configuration and database)
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <spdlog/spdlog.h>

#include "engine/ingest.h"
#include "engine/setup.h"
#include "engine/token_key.h"
#include "mail/parse.h"
#include "store/batch.h"
#include "util/clock.h"

using namespace guichet;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIR COUNT\n", argv[0]);
    return 64;
  }
  spdlog::set_level(spdlog::level::warn);
  const std::string dir = argv[1];
  const int count = std::stoi(argv[2]);
  const std::string src = GUICHET_SOURCE_DIR;
  {
    std::ofstream c(dir + "/guichet.yaml");
    c << "commune: Champignac-en-Cambrousse\ndatabase: answers.db\ndirectory: " << src << "/etc/directory.yaml\nrules: "
      << src << "/rules\nmailboxes:\n  - {name: voirie, url: 'maildir://in', department: voirie, address: "
      << "voirie@champignac.example}\nsmtp:\n  url: maildir://outbox\ndeadlines:\n  digest_at: 'off'\n";
  }
  auto setup = engine::load_setup(dir + "/guichet.yaml");
  if (!setup) return std::fprintf(stderr, "%s\n", setup.error().message.c_str()), 1;
  auto st = store::Store::open(dir + "/answers.db");
  if (!st) return 1;
  auto opt = engine::prepare_ingest(*st, **setup, "voirie");
  if (!opt) return 1;
  FixedClock clock(1796290200);
  auto timed = [&](const std::function<std::string(int)>& mail) {
    store::Batch batch(*st);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < count; ++i) {
      if (!batch.begin()) return -1.0;
      auto out = engine::ingest(*st, mail(i), store::Source{"voirie", std::to_string(i), ""}, *opt, clock);
      if (!out) return std::fprintf(stderr, "%s\n", out.error().message.c_str()), -1.0;
      if (batch.add() && !batch.commit()) return -1.0;
    }
    if (!batch.commit()) return -1.0;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() * 1e6 / count;
  };
  const double resident = timed([](int i) {
    return "From: Résident " + std::to_string(i) + " <r" + std::to_string(i) +
           "@example.org>\r\nTo: voirie@champignac.example\r\nSubject: Lampadaire éteint n° " + std::to_string(i) +
           "\r\nMessage-ID: <res-" + std::to_string(i) + "@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "Bonjour,\r\nle lampadaire de la rue " + std::to_string(i) + " est éteint depuis une semaine.\r\n";
  });
  // The notices, as the agent received them.
  std::vector<mail::Message> notices;
  auto rows = st->outbox().list({}, 0);
  if (!rows) return 1;
  for (const auto& r : *rows)
    if (r.kind == store::OutboxKind::notification) notices.push_back(mail::parse((*st->outbox().get(r.id))->message));
  if (static_cast<int>(notices.size()) != count) return std::fprintf(stderr, "%zu notices\n", notices.size()), 1;
  int relayed = 0;
  const double answer = timed([&](int i) {
    const mail::Message& n = notices[static_cast<size_t>(i)];
    std::string quoted;
    for (char c : n.text) quoted += c == '\n' ? std::string("\r\n") : std::string(1, c);
    return "From: Paul Martin <p.martin@champignac.example>\r\nTo: " + n.reply_to.front().address + "\r\nSubject: RE : " +
           n.subject + "\r\nMessage-ID: <ans-" + std::to_string(i) +
           "@champignac.example>\r\nThread-Index: AQHZ1234567890abcdef==\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           "Bonjour Madame,\r\nLe lampadaire sera réparé jeudi.\r\nCordialement,\r\n\r\n________________________________\r\n"
           "De : " + n.from.front().name + " <" + n.from.front().address + ">\r\nEnvoyé : jeudi 3 décembre 2026 10:30\r\n\r\n" +
           quoted;
  });
  auto answers = st->outbox().list({}, 0);
  for (const auto& r : *answers) relayed += r.kind == store::OutboxKind::answer;
  std::printf("resident mails:  %d, %.0f us each (parse, thread, route, acknowledgement and notice queued)\n", count,
              resident);
  std::printf("agents' answers: %d, %.0f us each (token, authentication, quotes removed, relayed)\n", count, answer);
  std::printf("relayed:         %d\n", relayed);
  return relayed == count ? 0 : 1;
}
