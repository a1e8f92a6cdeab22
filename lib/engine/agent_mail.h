// Mail that carries a reply token (tokens/tokens.h): an agent's answer, commands, a note, an
// "ENVOYER" for a held answer (README, "How agents answer").
//
// It is acted on only when the token is authentic, names a request that exists, comes From the
// agent it names (their email or an alias in the directory), passes the town's
// Authentication-Results when `trusted_authserv_id` is set, and is not about another request.
// Anything else is stored on the request as a refused message with the reason, never relayed and
// never applied, and the agent the token names is told. Machine mail (an out-of-office) answering a
// notice is stored and nothing more.
//
// Authenticated: the quoted notice and the client's quoting are removed (mail/quote.h), then the
// command block (engine/commands.h) applies all or nothing, and what remains is relayed to the
// resident from the service, signed as L111-2 requires, unless a colleague answered since the
// token was written (its answer version is older): then it is held and its author told.
#pragma once

#include <vector>

#include "engine/incoming.h"
#include "engine/ingest.h"
#include "tokens/tokens.h"

namespace guichet::engine {

Result<Outcome> ingest_agent_mail(store::Store& store, const Incoming& in, const std::vector<tokens::Found>& found,
                                  const IngestOptions& options, Outcome out);

// Why `m` cannot be taken as written by `agent`, or nullopt: its From is not the agent's email
// or an alias; with `trusted_authserv_id`, the topmost Authentication-Results of that server does
// not show SPF, DKIM or DMARC passing for the From's domain.
std::optional<std::string> not_from_agent(const mail::Message& m, const directory::Agent& agent,
                                          const std::string& trusted_authserv_id);

}  // namespace guichet::engine
