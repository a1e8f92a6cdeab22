// libFuzzer target: any bytes through mail::parse and the raw codec. Properties checked: no crash,
// no sanitizer report, every decoded string valid UTF-8, and the stored form of the mail decodes
// back to the exact input.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "mail/charset.h"
#include "mail/parse.h"
#include "store/raw_codec.h"

using namespace guichet;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string raw(reinterpret_cast<const char*>(data), size);
  mail::Message m = mail::parse(raw);
  if (!mail::is_valid_utf8(m.subject) || !mail::is_valid_utf8(m.text)) std::abort();
  for (const auto& p : m.problems) {
    if (!mail::is_valid_utf8(p)) std::abort();
  }
  for (const auto* list : {&m.from, &m.to, &m.cc, &m.reply_to, &m.sender}) {
    for (const auto& a : *list) {
      if (!mail::is_valid_utf8(a.name) || !mail::is_valid_utf8(a.address)) std::abort();
    }
  }
  std::vector<store::BlobRef> blobs;
  std::map<std::string, std::string> by_sha;
  for (const auto& a : m.attachments) {
    if (!mail::is_valid_utf8(a.filename)) std::abort();
    blobs.push_back({a.sha256, a.content});
    by_sha[a.sha256] = a.content;
  }
  auto enc = store::encode_raw(raw, blobs);
  auto back = store::decode_raw(enc, [&](const std::string& sha) -> std::optional<std::string> {
    auto it = by_sha.find(sha);
    if (it == by_sha.end()) return std::nullopt;
    return it->second;
  });
  if (!back || *back != raw) std::abort();
  return 0;
}
