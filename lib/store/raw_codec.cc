#include "store/raw_codec.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "util/sha256.h"

namespace guichet::store {

namespace {

// Attachments smaller than this stay inline: a hole costs more than it saves.
constexpr size_t kMinHoleContent = 2048;

// Encodes `data` as base64 into `o`, which has room for (size + 2) / 3 * 4 characters.
void encode_base64_flat(std::string_view data, char* o) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
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
}

// Encodes `data` as base64, inserting `eol` every `line` characters (never after the last line).
// A tight loop into a flat buffer, then line copies: this runs for every attachment read back.
std::string encode_base64(std::string_view data, size_t line, std::string_view eol) {
  const size_t flat_size = (data.size() + 2) / 3 * 4;
  std::string flat(flat_size, '\0');
  encode_base64_flat(data, flat.data());
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

// Whether `raw` holds, from `pos`, exactly `content` encoded as base64_lines(content, line, eol);
// the length of that text if so. Encodes a line at a time and compares it in place: no copy of
// the attachment's text is made (a scanned PDF is megabytes).
std::optional<size_t> matches_base64_lines(std::string_view raw, size_t pos, std::string_view content, size_t line,
                                           std::string_view eol) {
  // Whole lines are 3/4 of `line` bytes of content when the line length is a multiple of 4.
  if (line % 4 != 0) {
    std::string encoded = encode_base64(content, line, eol);
    if (raw.compare(pos, encoded.size(), encoded) != 0) return std::nullopt;
    return encoded.size();
  }
  // A chunk of whole lines is encoded into one buffer, then compared line by line.
  const size_t per_line = line / 4 * 3;
  constexpr size_t kLinesPerChunk = 256;
  std::string flat((per_line * kLinesPerChunk + 2) / 3 * 4, '\0');
  const size_t start = pos;
  for (size_t at = 0; at < content.size(); at += per_line * kLinesPerChunk) {
    std::string_view chunk = content.substr(at, per_line * kLinesPerChunk);
    encode_base64_flat(chunk, flat.data());
    const size_t chunk_chars = (chunk.size() + 2) / 3 * 4;
    for (size_t c = 0; c < chunk_chars; c += line) {
      if (at > 0 || c > 0) {
        if (raw.compare(pos, eol.size(), eol) != 0) return std::nullopt;
        pos += eol.size();
      }
      const size_t n = std::min(line, chunk_chars - c);
      if (raw.compare(pos, n, std::string_view(flat).substr(c, n)) != 0) return std::nullopt;
      pos += n;
    }
  }
  return pos - start;
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
  auto length = matches_base64_lines(raw, pos, blob.content, h.line, h.eol);
  if (!length) return std::nullopt;
  h.length = *length;
  h.sha256 = blob.sha256;
  return h;
}

Result<std::string> splice(const EncodedRaw& stored, const std::function<Result<std::string>(const Hole&)>& hole_text);

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
    // Prove the round trip before trusting it with the only copy of a resident's mail: the mail
    // is put back together by decode_raw's own code, from what is stored. Each hole's text is the
    // original's, since find_hole has just compared it with the regenerated base64 (and
    // matches_base64_lines is tested to agree with base64_lines, which reading back uses).
    auto back = splice(out, [&](const Hole& h) -> Result<std::string> {
      if (h.offset > raw.size() || h.length > raw.size() - h.offset) return Error{Errc::data, "hole outside the mail"};
      return std::string(raw.substr(h.offset, h.length));
    });
    if (!back || *back != raw) out = pack(raw, raw.size());  // store it whole
  }
  return out;
}

namespace {

// decode_raw's work, with the text of each hole given by `hole_text`: the attachment's base64
// regenerated when a mail is read back, the original bytes when encode_raw checks its work.
Result<std::string> splice(const EncodedRaw& stored, const std::function<Result<std::string>(const Hole&)>& hole_text) {
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
    auto encoded = hole_text(h);
    if (!encoded) return encoded.error();
    if (encoded->size() != h.length) return Error{Errc::data, "attachment blob " + h.sha256 + " does not match"};
    out.append(*encoded);
  }
  out.append(skeleton, from, std::string::npos);
  return out;
}

}  // namespace

Result<std::string> decode_raw(const EncodedRaw& stored,
                               const std::function<std::optional<std::string>(const std::string&)>& fetch) {
  return splice(stored, [&](const Hole& h) -> Result<std::string> {
    auto content = fetch(h.sha256);
    if (!content) return Error{Errc::data, "attachment blob " + h.sha256 + " is missing"};
    return base64_lines(*content, h.line, h.eol);
  });
}

PreparedRaw prepare_raw(std::string_view raw, const mail::Message& parsed) {
  std::vector<BlobRef> blobs;
  blobs.reserve(parsed.attachments.size());
  for (const auto& a : parsed.attachments) blobs.push_back(BlobRef{a.sha256, a.content});
  return PreparedRaw{sha256_hex(raw), encode_raw(raw, blobs)};
}

}  // namespace guichet::store
