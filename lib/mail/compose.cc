#include "mail/compose.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
#include <stdexcept>

#include "util/local_time.h"

namespace guichet::mail {

std::string content_type_of_file(const std::string& filename) {
  const size_t dot = filename.rfind('.');
  std::string ext = dot == std::string::npos ? std::string() : filename.substr(dot);
  for (char& ch : ext) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (ext == ".pdf") return "application/pdf";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".png") return "image/png";
  if (ext == ".tif" || ext == ".tiff") return "image/tiff";
  if (ext == ".txt") return "text/plain";
  return "application/octet-stream";
}

std::string new_message_id(std::string_view domain) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static const char hex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char b : bytes) {
    id.push_back(hex[b >> 4]);
    id.push_back(hex[b & 15]);
  }
  return id + "@" + std::string(domain.empty() ? "guichet.invalid" : domain);
}

namespace {

// Control characters (CR and LF above all) become spaces; runs of spaces collapse.
std::string one_line(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const char put = (c < 0x20 || c == 0x7F) ? ' ' : ch;
    if (put == ' ' && (out.empty() || out.back() == ' ')) continue;
    out.push_back(put);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool starts_with_ci(std::string_view s, std::string_view p) {
  if (s.size() < p.size()) return false;
  for (size_t i = 0; i < p.size(); ++i) {
    char a = s[i], b = p[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

}  // namespace

std::string tagged_subject(std::string_view prefix, std::string_view reference, std::string_view original) {
  std::string s = one_line(original);
  // Reply and forward prefixes of the clients residents use (English, French, German, Outlook's
  // "RE :" with a space), and earlier tags of ours: "[Réf. 2026-000042]".
  static const char* prefixes[] = {"re:", "re :", "tr:", "tr :", "fwd:", "fw:", "fw :", "aw:", "wg:", "réf:"};
  // Appended piece by piece: GCC 12 warns (-Wrestrict, a false positive) on "[" + std::string(…).
  std::string tag = "[";
  tag.append(prefix).append(" ");
  for (bool again = true; again;) {
    again = false;
    while (!s.empty() && s.front() == ' ') s.erase(0, 1);
    for (const char* p : prefixes) {
      if (starts_with_ci(s, p)) {
        s.erase(0, std::string_view(p).size());
        again = true;
      }
    }
    if (s.rfind(tag, 0) == 0) {
      if (size_t close = s.find(']'); close != std::string::npos) {
        s.erase(0, close + 1);
        again = true;
      }
    }
  }
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  std::string out = tag;
  out.append(reference).append("]");
  if (!s.empty()) out += " " + s;
  return out;
}

std::string encode_header_text(std::string_view text) {
  std::string clean = one_line(text);
  bool plain = clean.size() <= 70;
  for (char ch : clean) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x7F) plain = false;
  }
  // "=?" could be read as an encoded word by the receiving client.
  if (plain && clean.find("=?") == std::string::npos) return clean;
  std::string out;
  size_t i = 0;
  while (i < clean.size()) {
    // 45 octets give 60 base64 characters: "=?UTF-8?B?" + 60 + "?=" = 72, within RFC 2047's 75.
    size_t n = std::min<size_t>(45, clean.size() - i);
    while (i + n < clean.size() && (static_cast<unsigned char>(clean[i + n]) & 0xC0) == 0x80) --n;  // whole characters
    unsigned char buf[64];
    const int len = EVP_EncodeBlock(buf, reinterpret_cast<const unsigned char*>(clean.data() + i), static_cast<int>(n));
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + std::string(reinterpret_cast<char*>(buf), static_cast<size_t>(len)) + "?=";
    i += n;
  }
  return out;
}

std::string quoted_printable(std::string_view text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  size_t col = 0;
  auto put = [&](std::string_view piece) {
    if (col + piece.size() > 75) {  // 75 + "=" soft break = 76
      out += "=\r\n";
      col = 0;
    }
    out += piece;
    col += piece.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // CRLF: the LF ends the line
    if (c == '\n' || c == '\r') {
      out += "\r\n";
      col = 0;
      continue;
    }
    const bool line_end = i + 1 == text.size() || text[i + 1] == '\n' || text[i + 1] == '\r';
    const bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end);
    // A line starting with "." or "From " is encoded so no transport can mangle it.
    const bool at_start = col == 0 && (c == '.' || (c == 'F' && text.substr(i, 5) == "From "));
    if (literal && !at_start) {
      put(std::string_view(reinterpret_cast<const char*>(&text[i]), 1));
    } else {
      const char enc[3] = {'=', hex[c >> 4], hex[c & 15]};
      put(std::string_view(enc, 3));
    }
  }
  return out;
}

std::string format_rfc5322(std::int64_t t) {
  const LocalTime tm = local_time(t);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const long off = tm.utc_offset_seconds / 60;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld", days[tm.weekday], tm.day,
                months[tm.month - 1], tm.year, tm.hour, tm.minute, tm.second, off < 0 ? '-' : '+',
                std::labs(off) / 60, std::labs(off) % 60);
  return buf;
}

namespace {

std::string mailbox_text(const Address& a) {
  const std::string name = one_line(a.name);
  if (name.empty()) return "<" + a.address + ">";
  bool atom_safe = true;
  for (char ch : name) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x7F || ch == '"' || ch == '\\') atom_safe = false;
  }
  if (atom_safe && name.size() <= 60 && name.find("=?") == std::string::npos)
    return "\"" + name + "\" <" + a.address + ">";
  return encode_header_text(name) + " <" + a.address + ">";
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 250) return false;
  for (char ch : id) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F || ch == '<' || ch == '>') return false;
  }
  return true;
}

std::string id_list(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!valid_id(id)) continue;  // a resident's malformed id is dropped, never copied raw
    out += (out.empty() ? "<" : "\r\n <") + id + ">";
  }
  return out;
}

std::string safe_content_type(const std::string& type) {
  const size_t slash = type.find('/');
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < type.size() && type.size() < 100;
  for (char ch : type)
    ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                std::string_view("/+-.").find(ch) != std::string_view::npos);
  return ok ? type : "application/octet-stream";
}

// `; name="…"`: RFC 2231 (name*=UTF-8''…) for every client that reads it, and a plain or RFC 2047
// name for those that do not.
std::string filename_parameter(const char* param, const std::string& filename) {
  const std::string name = one_line(filename);
  if (name.empty()) return "";
  bool ascii = true;
  for (char ch : name) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x7F || ch == '"' || ch == '\\') ascii = false;
  }
  if (ascii && name.size() < 60) return std::string("; ") + param + "=\"" + name + "\"";
  // Content-Type's name: RFC 2047 words, which Outlook and old webmails read; the disposition's
  // filename: RFC 2231, which the others read.
  if (std::string_view(param) == "name") return std::string(";\r\n ") + param + "=\"" + encode_header_text(name) + "\"";
  static const char hex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : name) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
        c == '_') {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded += {'%', hex[c >> 4], hex[c & 15]};
    }
  }
  return std::string(";\r\n ") + param + "*=UTF-8''" + encoded;
}

// Base64 in lines of 76 characters (57 bytes), CRLF.
std::string base64_lines(std::string_view data) {
  std::string out;
  out.reserve(data.size() * 4 / 3 + data.size() / 57 * 2 + 8);
  unsigned char buf[80];
  for (size_t i = 0; i < data.size(); i += 57) {
    const size_t n = std::min<size_t>(57, data.size() - i);
    const int len = EVP_EncodeBlock(buf, reinterpret_cast<const unsigned char*>(data.data() + i), static_cast<int>(n));
    out.append(reinterpret_cast<char*>(buf), static_cast<size_t>(len));
    out += "\r\n";
  }
  return out;
}

}  // namespace

Result<std::string> compose(const Outgoing& m) {
  for (const Address* a : {&m.from, &m.to}) {
    if (!valid_address(a->address))
      return make_error(Errc::data, "unsafe or invalid address \"" + one_line(a->address) + "\"");
  }
  if (!m.reply_to.address.empty() && !valid_address(m.reply_to.address))
    return make_error(Errc::data, "unsafe or invalid Reply-To address \"" + one_line(m.reply_to.address) + "\"");
  if (!valid_id(m.message_id)) return make_error(Errc::data, "invalid Message-ID");
  std::string h;
  auto field = [&h](const std::string& name, const std::string& value) { h += name + ": " + value + "\r\n"; };
  field("Date", format_rfc5322(m.date));
  field("From", mailbox_text(m.from));
  if (!m.reply_to.address.empty()) field("Reply-To", mailbox_text(m.reply_to));
  field("To", mailbox_text(m.to));
  field("Subject", encode_header_text(m.subject));
  field("Message-ID", "<" + m.message_id + ">");
  if (auto irt = id_list(m.in_reply_to); !irt.empty()) field("In-Reply-To", irt);
  if (auto refs = id_list(m.references); !refs.empty()) field("References", refs);
  if (!m.auto_submitted.empty()) field("Auto-Submitted", one_line(m.auto_submitted));
  // Exchange and Outlook: no out-of-office, delivery or read receipt in answer to this mail.
  field("X-Auto-Response-Suppress", "All");
  for (const auto& [name, value] : m.extra) {
    bool ok = !name.empty();
    for (char ch : name)
      ok = ok && ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-');
    if (!ok) return make_error(Errc::data, "invalid header name \"" + one_line(name) + "\"");
    field(name, encode_header_text(value));
  }
  field("MIME-Version", "1.0");
  std::string body = quoted_printable(m.body);
  if (body.size() < 2 || body.compare(body.size() - 2, 2, "\r\n") != 0) body += "\r\n";
  if (m.attachments.empty()) {
    field("Content-Type", "text/plain; charset=UTF-8");
    field("Content-Transfer-Encoding", "quoted-printable");
    return h + "\r\n" + body;
  }
  // A boundary made of the Message-ID's random part cannot occur in base64 or quoted-printable.
  const std::string boundary = "=_guichet_" + m.message_id.substr(0, m.message_id.find('@'));
  field("Content-Type", "multipart/mixed; boundary=\"" + boundary + "\"");
  std::string out = h + "\r\nThis is a MIME message.\r\n\r\n--" + boundary +
                    "\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
                    body;
  for (const auto& a : m.attachments) {
    out += "\r\n--" + boundary + "\r\n";
    out += "Content-Type: " + safe_content_type(a.content_type) + filename_parameter("name", a.filename) + "\r\n";
    out += "Content-Disposition: attachment" + filename_parameter("filename", a.filename) + "\r\n";
    out += "Content-Transfer-Encoding: base64\r\n\r\n";
    out += base64_lines(a.content);
  }
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace guichet::mail
