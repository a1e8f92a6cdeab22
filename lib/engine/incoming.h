// One mail on its way in, as ingest (engine/ingest.h) and the agents' path (engine/agent_mail.h)
// share it: parsed, keyed, threaded, with where and when it arrived. And the one function that
// stores it as a message of a request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "engine/ingest.h"
#include "mail/message.h"
#include "store/store.h"
#include "threading/decide.h"

namespace guichet::engine {

struct Incoming {
  std::string_view raw;
  mail::Message m;
  store::Source source;
  std::string hash;
  store::MessageKeys keys;
  std::int64_t now = 0;
  std::int64_t arrived = 0;  // when the town's server received it
  threading::Decision decision;
  const store::PreparedRaw* stored = nullptr;  // the raw copy's encoding, when made beforehand
};

// Stores the raw bytes, the message on `request_id`, where it was seen and its thread ids.
// `participant`: its sender (and Cc) join the request's participants (not an agent's mail).
Result<std::int64_t> record_message(store::Store& store, const Incoming& in, std::int64_t request_id,
                                    store::MessageRole role, const std::optional<std::string>& agent,
                                    const std::string& matched_by, bool participant);

// A new machine mail record (`M2026-…`, kept apart) for `in`, which belongs to no request: a token
// naming a request that does not exist, an intake that does not check. Returns its id and reference.
Result<std::pair<std::int64_t, std::string>> keep_apart(store::Store& store, const Incoming& in,
                                                        const std::string& mailbox);

}  // namespace guichet::engine
