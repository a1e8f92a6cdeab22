// guichet attestation REF [--now T]: the attestation of an implicit acceptance (CRPA L232-3), for
// a request whose silence means acceptance and whose deemed-decision date has passed, written
// with the template `attestation` to print, sign or send. Refused (65) otherwise, with the reason.
#include <iostream>

#include "commands.h"
#include "engine/letters.h"
#include "engine/token_key.h"

namespace guichet::cli {

Command add_attestation(CLI::App& app) {
  auto reference = std::make_shared<std::string>();
  Command c;
  c.app = app.add_subcommand("attestation", "The attestation of an implicit acceptance (L232-3)");
  c.app->add_option("reference", *reference, "the request")->required();
  c.needs = Needs::config;
  c.run = [reference](Context& ctx) -> int {
    auto st = store::Store::open(ctx.config.database, store::Database::Mode::read_only);
    if (!st) return report(st.error());
    auto r = st->request_summary(*reference);
    if (!r) return report(r.error());
    if (!*r) return report(Error{Errc::data, "no request " + *reference});
    if ((*r)->silence != "acceptance")
      return report(Error{Errc::data, (*r)->reference + ": silence does not mean acceptance for this request (" +
                                          (*r)->silence + ")"});
    const std::string today = calendar::local_date(ctx.clock->now()).iso();
    if (!(*r)->deemed_decision_on || *(*r)->deemed_decision_on > today)
      return report(Error{Errc::data, (*r)->reference + ": no implicit decision yet (" +
                                          (*r)->deemed_decision_on.value_or("pieces missing") + ")"});
    engine::IngestOptions options = engine::ingest_options(*ctx.setup, "");
    auto text = engine::render_letter(templates::kAttestation, **r, options, [&](templates::Data& d) {
      d.set("today", calendar::french_date(calendar::local_date(ctx.clock->now())));
    });
    if (!text) return report(text.error());
    std::cout << *text;
    return 0;
  };
  return c;
}

}  // namespace guichet::cli
