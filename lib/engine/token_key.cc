#include "engine/token_key.h"

#include <openssl/rand.h>

namespace guichet::engine {

namespace {
constexpr const char* kSetting = "token_key";
}

Result<std::string> token_key(store::Store& store, const Setup& setup, bool create) {
  if (!setup.config.token_key.empty()) {
    auto key = read_secret(setup.config.token_key);
    if (!key) return key.error();
    if (key->size() < 16) return make_error(Errc::config, setup.config.token_key.describe() + ": the token key needs 16 bytes or more");
    return key;
  }
  auto stored = store.setting(kSetting);
  if (!stored) return stored.error();
  if (*stored) return **stored;
  if (!create) return std::string();
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return make_error(Errc::software, "RAND_bytes failed");
  std::string key(reinterpret_cast<const char*>(bytes), sizeof bytes);
  auto tx = store.transaction();
  if (!tx) return tx.error();
  // Another process may have created it meanwhile: the first one wins.
  auto again = store.setting(kSetting);
  if (!again) return again.error();
  if (*again) return **again;
  if (auto r = store.put_setting(kSetting, key); !r) return r.error();
  if (auto r = tx->commit(); !r) return r.error();
  return key;
}

Result<IngestOptions> prepare_ingest(store::Store& store, const Setup& setup, const std::string& mailbox,
                                     bool create_key) {
  IngestOptions o = ingest_options(setup, mailbox);
  auto key = token_key(store, setup, create_key);
  if (!key) return key.error();
  o.agents.token_key = std::move(*key);
  return o;
}

}  // namespace guichet::engine
