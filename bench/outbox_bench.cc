// Drain benchmark: queues COUNT composed acknowledgements in a fresh database, then drains them to
// the SMTP server at URL over one reused connection and prints messages/s.
//   guichet-bench-outbox DB URL COUNT
#include <chrono>
#include <cstdio>
#include <string>

#include <spdlog/spdlog.h>

#include "engine/outbox.h"
#include "mail/compose.h"
#include "store/outbox.h"
#include "util/clock.h"

using namespace guichet;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s DB URL COUNT\n", argv[0]);
    return 64;
  }
  const int count = std::stoi(argv[3]);
  spdlog::set_level(spdlog::level::warn);
  auto st = store::Store::open(argv[1]);
  if (!st) return std::fprintf(stderr, "%s\n", st.error().message.c_str()), 1;
  SystemClock clock;
  {
    auto tx = st->transaction();
    store::Outbox box = st->outbox();
    for (int i = 0; i < count; ++i) {
      mail::Outgoing o;
      o.from = {"Services techniques, voirie", "voirie@champignac.example"};
      o.reply_to = o.from;
      o.to = {"Résident " + std::to_string(i), "resident" + std::to_string(i) + "@example.org"};
      o.subject = "[Réf. 2026-" + std::to_string(100000 + i) + "] Lampadaire éteint devant l'école";
      o.message_id = mail::new_message_id("champignac.example");
      o.date = clock.now();
      o.auto_submitted = "auto-replied";
      o.body = std::string(1800, 'x') + "\nLa mairie a bien reçu votre courriel.\n";
      auto raw = mail::compose(o);
      store::OutboxMail row;
      row.kind = store::OutboxKind::notification;
      row.message_id = o.message_id;
      row.envelope_from = o.from.address;
      row.recipient = o.to.address;
      row.message = *raw;
      row.created_at = clock.now();
      row.give_up_at = clock.now() + 3600;
      if (!box.enqueue(row)) return 1;
    }
    if (!tx->commit()) return 1;
  }
  transport::SmtpSettings cfg;
  cfg.url = argv[2];
  cfg.tls_required = false;
  auto sender = transport::make_sender(cfg);
  if (!sender) return 1;
  const auto t0 = std::chrono::steady_clock::now();
  auto stats = engine::drain(*st, **sender, clock, engine::DrainOptions{}, count);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!stats) return std::fprintf(stderr, "%s\n", stats.error().message.c_str()), 1;
  std::printf("mails:           %d (%d sent, %d deferred, %d failed)\n", count, stats->sent, stats->retried,
              stats->failed);
  std::printf("wall time:       %.2f s\n", s);
  std::printf("rate:            %.0f messages/s (one connection)\n", stats->sent / s);
  return stats->sent == count ? 0 : 1;
}
