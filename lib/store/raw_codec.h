// How a raw mail is kept: exactly, and without storing an attachment twice.
//
// A base64 attachment whose encoded text can be regenerated bit for bit from its decoded content
// (the line length and line ending are read from the mail) is cut out of the raw copy and left
// in the blobs table, stored once by content: the same PDF sent to urbanisme@ and mairie@, or
// attached to five relances, takes its space once. What remains (the skeleton) is zlib-compressed
// when that saves space. encode() checks that decode() gives back the exact input before it
// returns; when it would not, the mail is stored whole. Holes are JSON:
//   [{"offset": <in the original>, "length": <encoded length>, "sha256": ..., "line": 76, "eol": "\r\n"}]
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/message.h"
#include "util/result.h"

namespace guichet::store {

struct EncodedRaw {
  std::string encoding;  // "identity" | "zlib"
  std::string holes;     // JSON list
  std::string data;
  std::size_t size = 0;  // of the original mail
};

struct BlobRef {
  std::string sha256;
  std::string_view content;  // decoded attachment bytes
};

EncodedRaw encode_raw(std::string_view raw, const std::vector<BlobRef>& blobs);

// A raw mail made ready for the store away from the database: its SHA-256 and its encoding, with
// `parsed`'s attachments as the blobs. Pure (no store, no shared state), so that the ingest can run
// it on another thread than the one writing the database (engine/prefetch.h).
struct PreparedRaw {
  std::string sha256;
  EncodedRaw encoded;
};
PreparedRaw prepare_raw(std::string_view raw, const mail::Message& parsed);

// `fetch(sha256)` returns a blob's content, or nullopt when missing.
Result<std::string> decode_raw(const EncodedRaw& stored,
                               const std::function<std::optional<std::string>(const std::string&)>& fetch);

// Base64 with a given line length and line ending, no line ending after the last line.
std::string base64_lines(std::string_view data, size_t line, std::string_view eol);

}  // namespace guichet::store
