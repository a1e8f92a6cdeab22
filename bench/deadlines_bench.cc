// Fills a database with COUNT requests for the deadline scanner's benchmark, as a commune's years
// would leave them: received over the year before NOW, spread over the example directory's
// departments and agents, OPEN of them not closed (with response targets, deemed decisions, some
// answered, some waiting), the others closed. One message per request (threading keys and all), no
// raw mail: the scanner reads requests, reminders and events only.
//   guichet-bench-deadlines DB COUNT OPEN NOW
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include <spdlog/spdlog.h>

#include "calendar/calendar.h"
#include "store/store.h"

using namespace guichet;

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s DB COUNT OPEN NOW\n", argv[0]);
    return 64;
  }
  spdlog::set_level(spdlog::level::warn);
  const long count = std::stol(argv[2]), open = std::stol(argv[3]);
  const std::int64_t now = std::stoll(argv[4]);
  auto st = store::Store::open(argv[1]);
  if (!st) return std::fprintf(stderr, "%s\n", st.error().message.c_str()), 1;
  const char* departments[][2] = {{"voirie", "pmartin"}, {"urbanisme", "mdupont"}, {"urbanisme", "tfaure"},
                                  {"accueil", "cgarnier"}, {"etat-civil", "sleroy"},  {"enfance", "lbernard"},
                                  {"proprete", "pmartin"}, {"police-municipale", "chef-pm"}};
  std::mt19937 rng(42);
  const auto t0 = std::chrono::steady_clock::now();
  for (long done = 0; done < count;) {
    auto tx = st->transaction();
    if (!tx) return 1;
    for (long i = 0; i < 20000 && done < count; ++i, ++done) {
      const bool is_open = done >= count - open;  // the most recent ones are still open
      // Closed ones over the past year; open ones over the last six weeks.
      const std::int64_t age = is_open ? static_cast<std::int64_t>(rng() % (42 * 86400)) : rng() % (365 * 86400);
      const std::int64_t received = now - age;
      const auto& dep = departments[rng() % 8];
      store::NewRequest r;
      r.subject = "Demande n° " + std::to_string(done);
      r.requester = {"Résident " + std::to_string(done), "r" + std::to_string(done) + "@example.org"};
      r.department = dep[0];
      r.routing.agent = std::string(dep[1]);
      r.received_at = received;
      r.year = calendar::local_date(received).year;
      r.mailbox = "mairie";
      const calendar::Date day = calendar::local_date(received);
      r.response_due_on = calendar::add_working_days(day, 5, calendar::Region::metropole).iso();
      if (rng() % 3 == 0) {
        r.routing.silence = rng() % 2 ? "acceptance" : "rejection";
        r.routing.delay = "2 mois";
        r.routing.deemed_decision_on =
            calendar::deemed_decision_date(day, *calendar::Delay::parse("2 mois"), calendar::Region::metropole).iso();
      }
      auto created = st->create_request(r, received);
      if (!created) return std::fprintf(stderr, "%s\n", created.error().message.c_str()), 1;
      store::RequestChanges c;
      if (!is_open) c.status = store::RequestStatus::closed;
      else if (rng() % 4 == 0) c.status = store::RequestStatus::answered;
      else if (rng() % 10 == 0) c.status = store::RequestStatus::waiting;
      if (rng() % 2 == 0) c.full_ack_at = std::optional<std::int64_t>(received);
      if (c.status || c.full_ack_at)
        if (!st->update_request(created->first, c, received)) return 1;
      if (!st->add_event(created->first, std::nullopt, received, "guichet", "created", "{}")) return 1;
    }
    if (!tx->commit()) return 1;
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("requests:        %ld (%ld open), written in %.1f s\n", count, open, s);
  return 0;
}
