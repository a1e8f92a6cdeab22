#include "store/raw_codec.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "util/sha256.h"

namespace guichet::store {

namespace {

// Attachments smaller than this stay inline: a hole costs more than it saves.
constexpr size_t kMinHoleContent = 2048;

// Encodes `data` as base64, inserting `eol` every `line` characters (never after the last line).
// A tight loop into a flat buffer, then line copies: this runs twice per attachment on ingest.
std::string encode_base64(std::string_view data, size_t line, std::string_view eol) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const size_t flat_size = (data.size() + 2) / 3 * 4;
  std::string flat(flat_size, '\0');
  char* o = flat.data();
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3, o += 4) {
    unsigned v = (unsigned{in[i]} << 16) | (unsigned{in[i + 1]} << 8) | in[i + 2];
    o[0] = alphabet[(v >> 18) & 63];
    o[1] = alphabet[(v >> 12) & 63];
    o[2] = alphabet[(v >> 6) & 63];
    o[3] = alphabet[v & 63];
  }
  if (i < data.size()) {
    unsigned v = unsigned{in[i]} << 16;
    if (i + 1 < data.size()) v |= unsigned{in[i + 1]} << 8;
    o[0] = alphabet[(v >> 18) & 63];
    o[1] = alphabet[(v >> 12) & 63];
    o[2] = i + 1 < data.size() ? alphabet[(v >> 6) & 63] : '=';
    o[3] = '=';
  }
  if (line == 0 || flat_size <= line) return flat;
  const size_t breaks = (flat_size - 1) / line;
  std::string out;
  out.reserve(flat_size + breaks * eol.size());
  for (size_t at = 0; at < flat_size; at += line) {
    if (at > 0) out.append(eol);
    out.append(flat, at, line);
  }
  return out;
}

std::string base64_plain(std::string_view data) { return encode_base64(data, 0, ""); }

struct Hole {
  size_t offset = 0;
  size_t length = 0;
  std::string sha256;
  size_t line = 0;
  std::string eol;
};

std::optional<std::string> zlib_compress(std::string_view in) {
  uLongf bound = compressBound(static_cast<uLong>(in.size()));
  std::string out(bound, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &bound, reinterpret_cast<const Bytef*>(in.data()),
                static_cast<uLong>(in.size()), 6) != Z_OK)
    return std::nullopt;
  out.resize(bound);
  return out;
}

Result<std::string> zlib_decompress(std::string_view in, size_t expected) {
  std::string out(expected, '\0');
  uLongf len = static_cast<uLongf>(expected);
  int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &len, reinterpret_cast<const Bytef*>(in.data()),
                      static_cast<uLong>(in.size()));
  if (rc != Z_OK || len != expected) return Error{Errc::data, "stored raw message is damaged (zlib)"};
  return out;
}

// The bytes compressed when that saves space, as they are otherwise; no holes.
EncodedRaw pack(std::string_view bytes, size_t original_size) {
  EncodedRaw out;
  out.size = original_size;
  out.holes = "[]";
  auto z = zlib_compress(bytes);
  if (z && z->size() < bytes.size()) {
    out.encoding = "zlib";
    out.data = std::move(*z);
  } else {
    out.encoding = "identity";
    out.data = std::string(bytes);
  }
  return out;
}

std::string holes_json(const std::vector<Hole>& holes) {
  auto j = nlohmann::json::array();
  for (const Hole& h : holes)
    j.push_back({{"offset", h.offset}, {"length", h.length}, {"sha256", h.sha256}, {"line", h.line}, {"eol", h.eol}});
  return j.dump();
}

// Finds where `content`'s base64 starts in `raw` and checks that the whole encoded run can be
// regenerated. Returns the hole, or nullopt when this attachment must stay inline.
std::optional<Hole> find_hole(std::string_view raw, const BlobRef& blob) {
  // 36 bytes give 48 base64 characters, shorter than any line length mailers use.
  std::string probe = base64_plain(blob.content.substr(0, 36));
  size_t pos = raw.find(probe);
  if (pos == std::string_view::npos) return std::nullopt;
  size_t eol_pos = raw.find_first_of("\r\n", pos);
  if (eol_pos == std::string_view::npos) return std::nullopt;
  Hole h;
  h.offset = pos;
  h.line = eol_pos - pos;
  h.eol = raw.compare(eol_pos, 2, "\r\n") == 0 ? "\r\n" : "\n";
  if (h.line == 0) return std::nullopt;
  std::string encoded = base64_lines(blob.content, h.line, h.eol);
  if (raw.compare(pos, encoded.size(), encoded) != 0) return std::nullopt;
  h.length = encoded.size();
  h.sha256 = blob.sha256;
  return h;
}

}  // namespace

std::string base64_lines(std::string_view data, size_t line, std::string_view eol) {
  return encode_base64(data, line, eol);
}

EncodedRaw encode_raw(std::string_view raw, const std::vector<BlobRef>& blobs) {
  std::vector<Hole> holes;
  for (const BlobRef& b : blobs) {
    if (b.content.size() < kMinHoleContent) continue;
    if (auto h = find_hole(raw, b)) holes.push_back(std::move(*h));
  }
  std::sort(holes.begin(), holes.end(), [](const Hole& a, const Hole& b) { return a.offset < b.offset; });
  // Identical attachments twice in one mail yield the same offset: keep non-overlapping holes only.
  std::vector<Hole> kept;
  size_t end = 0;
  for (auto& h : holes) {
    if (h.offset >= end) {
      end = h.offset + h.length;
      kept.push_back(std::move(h));
    }
  }
  std::string skeleton;
  skeleton.reserve(raw.size());
  size_t at = 0;
  for (const Hole& h : kept) {
    skeleton.append(raw.substr(at, h.offset - at));
    at = h.offset + h.length;
  }
  skeleton.append(raw.substr(at));

  EncodedRaw out = pack(skeleton, raw.size());
  out.holes = holes_json(kept);
  if (!kept.empty()) {
    // Prove the round trip before trusting it with the only copy of a resident's mail.
    std::map<std::string, std::string_view> by_sha;
    for (const BlobRef& b : blobs) by_sha.emplace(b.sha256, b.content);
    auto back = decode_raw(out, [&](const std::string& sha) -> std::optional<std::string> {
      auto it = by_sha.find(sha);
      if (it == by_sha.end()) return std::nullopt;
      return std::string(it->second);
    });
    if (!back || *back != raw) out = pack(raw, raw.size());  // store it whole
  }
  return out;
}

Result<std::string> decode_raw(const EncodedRaw& stored,
                               const std::function<std::optional<std::string>(const std::string&)>& fetch) {
  std::vector<Hole> holes;
  size_t removed = 0;
  try {
    for (const auto& j : nlohmann::json::parse(stored.holes.empty() ? "[]" : stored.holes)) {
      Hole h;
      h.offset = j.at("offset").get<size_t>();
      h.length = j.at("length").get<size_t>();
      h.sha256 = j.at("sha256").get<std::string>();
      h.line = j.at("line").get<size_t>();
      h.eol = j.at("eol").get<std::string>();
      removed += h.length;
      holes.push_back(std::move(h));
    }
  } catch (const nlohmann::json::exception& e) {
    return Error{Errc::data, std::string("stored raw message has damaged holes: ") + e.what()};
  }
  std::string skeleton;
  if (removed > stored.size) return Error{Errc::data, "stored raw message has inconsistent holes"};
  if (stored.encoding == "zlib") {
    auto z = zlib_decompress(stored.data, stored.size - removed);
    if (!z) return z.error();
    skeleton = std::move(*z);
  } else if (stored.encoding == "identity") {
    skeleton = stored.data;
  } else {
    return Error{Errc::data, "unknown raw encoding " + stored.encoding};
  }
  std::string out;
  out.reserve(skeleton.size() + removed);
  size_t from = 0;  // position in the skeleton
  for (const Hole& h : holes) {
    size_t literal = h.offset - out.size();
    if (h.offset < out.size() || from + literal > skeleton.size())
      return Error{Errc::data, "stored raw message has inconsistent holes"};
    out.append(skeleton, from, literal);
    from += literal;
    auto content = fetch(h.sha256);
    if (!content) return Error{Errc::data, "attachment blob " + h.sha256 + " is missing"};
    std::string encoded = base64_lines(*content, h.line, h.eol);
    if (encoded.size() != h.length) return Error{Errc::data, "attachment blob " + h.sha256 + " does not match"};
    out.append(encoded);
  }
  out.append(skeleton, from, std::string::npos);
  return out;
}

}  // namespace guichet::store
