// The key of reply tokens (tokens/tokens.h): from the configuration (token_key_file,
// token_key_credential: a systemd credential), else generated at first start (256 random bits)
// and kept in the database, so that every process of the commune (serve, web, the command line)
// signs and checks with the same key, and a restored backup keeps its tokens valid.
#pragma once

#include <string>

#include "engine/options.h"
#include "engine/setup.h"
#include "store/store.h"

namespace guichet::engine {

// `create`: generate and store one when there is none (needs a writable store; runs in its own
// transaction unless one is open). Without `create`, "" when there is none yet.
Result<std::string> token_key(store::Store& store, const Setup& setup, bool create);

// ingest_options() with the token key: what every writer of the store uses.
Result<IngestOptions> prepare_ingest(store::Store& store, const Setup& setup, const std::string& mailbox,
                                     bool create_key = true);

}  // namespace guichet::engine
