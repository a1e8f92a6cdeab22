#include "mail/parse.h"

#include <mimetic/mimetic.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <iterator>
#include <map>
#include <optional>
#include <stdexcept>

#include "mail/address.h"
#include "mail/charset.h"
#include "mail/date.h"
#include "mail/encoded_words.h"
#include "mail/html_text.h"
#include "mail/mime_params.h"
#include "util/sha256.h"
#include "util/strings.h"

namespace guichet::mail {

namespace {

// Header fields by lower-case name, in order of appearance.
using FieldMap = std::map<std::string, std::vector<std::string>>;

FieldMap collect_fields(const mimetic::Header& header) {
  FieldMap fields;
  for (const mimetic::Field& f : header) {
    fields[to_lower(std::string(f.name()))].push_back(f.value());
  }
  return fields;
}

// Fallback when mimetic throws: split "Name: value" lines, unfolding continuation lines.
FieldMap split_header_block(std::string_view raw) {
  FieldMap fields;
  std::string name, value;
  auto flush = [&] {
    if (!name.empty()) fields[to_lower(name)].push_back(std::string(trim(value)));
    name.clear();
    value.clear();
  };
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t eol = raw.find('\n', pos);
    std::string_view line = raw.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
    pos = eol == std::string_view::npos ? raw.size() : eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      value += ' ';
      value += trim(line);
      continue;
    }
    flush();
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    name = std::string(trim(line.substr(0, colon)));
    value = std::string(line.substr(colon + 1));
  }
  flush();
  return fields;
}

const std::string* first(const FieldMap& f, const char* name) {
  auto it = f.find(name);
  return it == f.end() || it->second.empty() ? nullptr : &it->second.front();
}

std::string first_or_empty(const FieldMap& f, const char* name) {
  const std::string* v = first(f, name);
  return v ? *v : std::string();
}

// Every <id> in a header such as References; a bare id when there are no brackets.
std::vector<std::string> message_ids(std::string_view raw) {
  std::vector<std::string> ids;
  size_t pos = 0;
  while ((pos = raw.find('<', pos)) != std::string_view::npos) {
    size_t end = raw.find('>', pos + 1);
    if (end == std::string_view::npos) break;
    std::string id;
    for (char c : raw.substr(pos + 1, end - pos - 1)) {
      if (c != ' ' && c != '\t' && c != '\r' && c != '\n') id.push_back(c);
    }
    if (!id.empty()) ids.push_back(std::move(id));
    pos = end + 1;
  }
  if (ids.empty()) {
    std::string_view t = trim(raw);
    if (!t.empty() && t.find(' ') == std::string_view::npos && t.find('@') != std::string_view::npos)
      ids.emplace_back(t);
  }
  return ids;
}

std::string text_from_bytes(std::string_view bytes, const HeaderValue& ct, const char* what,
                            std::vector<std::string>& problems) {
  std::string problem;
  const std::string* cs = ct.param("charset");
  std::string text = to_utf8(bytes, cs ? *cs : std::string(), &problem);
  if (!problem.empty()) problems.push_back(std::string(what) + ": " + problem);
  return text;
}

// RFC 3676 format=flowed: soft line breaks end with a space and are joined back.
std::string unflow(std::string_view text, bool delsp) {
  std::string out;
  out.reserve(text.size());
  bool joining = false;
  for (auto line : split(text, '\n')) {
    if (!line.empty() && line[0] == ' ') line.remove_prefix(1);  // space-stuffing
    bool signature = line == "-- ";
    bool soft = !signature && !line.empty() && line.back() == ' ';
    if (soft && delsp) line.remove_suffix(1);
    out += line;
    if (!soft) out.push_back('\n');
    joining = soft;
  }
  if (!joining && !out.empty()) out.pop_back();
  return out;
}

std::string normalise_newlines(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Where the data of a base64 body ends (RFC 2045 6.8): after the line that carries its padding, or
// before the first line that is not base64 once some data was read. What follows (a footer a list
// server appended, junk) would otherwise be decoded into the attachment.
size_t base64_extent(std::string_view enc) {
  bool data = false;
  size_t pos = 0;
  while (pos < enc.size()) {
    size_t nl = enc.find('\n', pos);
    const size_t next = nl == std::string_view::npos ? enc.size() : nl + 1;
    std::string_view line = enc.substr(pos, next - pos);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (!line.empty()) {
      // A table, not isalnum(): this runs over every byte of every attachment.
      static const auto base64_char = [] {
        std::array<bool, 256> t{};
        for (unsigned char c : std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="))
          t[c] = true;
        return t;
      }();
      const bool alphabet =
          std::all_of(line.begin(), line.end(), [](char c) { return base64_char[static_cast<unsigned char>(c)]; });
      if (!alphabet && data) return pos;
      if (alphabet) {
        data = true;
        if (line.find('=') != std::string_view::npos) return next;
      }
    }
    pos = next;
  }
  return enc.size();
}

// Where `needle` next occurs in `hay` from `from`: glibc's memmem skips ahead by the needle's
// length, where string_view::find stops at every byte equal to the needle's first (in base64,
// one byte in 64).
size_t find_fast(std::string_view hay, std::string_view needle, size_t from) {
  if (from >= hay.size()) return std::string_view::npos;
  const void* p = memmem(hay.data() + from, hay.size() - from, needle.data(), needle.size());
  return p ? static_cast<size_t>(static_cast<const char*>(p) - hay.data()) : std::string_view::npos;
}

// The next "boundary=" in lower or upper case (any case for its first letter), from `from`.
size_t find_boundary_param(std::string_view hay, size_t from) {
  size_t best = std::string_view::npos;
  for (std::string_view tail : {"oundary=", "OUNDARY="}) {
    // The upper-case form is looked for only before the lower-case one found.
    const std::string_view within = best == std::string_view::npos ? hay : hay.substr(0, best + tail.size());
    for (size_t p = find_fast(within, tail, from + 1); p != std::string_view::npos && p < best;
         p = find_fast(within, tail, p + 1)) {
      if ((hay[p - 1] == 'b' || hay[p - 1] == 'B') && iequals(hay.substr(p - 1, 9), "boundary=")) {
        best = p - 1;
        break;
      }
    }
  }
  return best;
}

// RFC 2046 5.1.1: a delimiter line may end with spaces or tabs ("transport padding"); mimetic
// only knows delimiters that end the line. Returns the message with that padding taken off the
// delimiter lines of the boundaries it declares, or nullopt when none is padded (the usual case:
// no copy).
std::optional<std::string> without_transport_padding(std::string_view raw) {
  std::vector<std::string> boundaries;
  for (size_t p = 0; (p = find_boundary_param(raw, p)) != std::string_view::npos && boundaries.size() < 1000;) {
    p += 9;
    std::string b;
    if (p < raw.size() && raw[p] == '"') {
      const size_t close = raw.find('"', p + 1);
      if (close == std::string_view::npos) break;
      b = std::string(raw.substr(p + 1, close - p - 1));
    } else {
      const size_t end = raw.find_first_of("; \t\r\n", p);
      b = std::string(raw.substr(p, end == std::string_view::npos ? std::string_view::npos : end - p));
    }
    if (!b.empty()) boundaries.push_back("--" + b);
  }
  if (boundaries.empty()) return std::nullopt;
  std::optional<std::string> out;
  size_t copied = 0;  // raw[0, copied) is in out
  for (size_t pos = 0; pos < raw.size();) {
    const size_t nl = raw.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? raw.size() : nl;
    if (end - pos >= 2 && raw[pos] == '-' && raw[pos + 1] == '-') {
      size_t text_end = end;
      if (text_end > pos && raw[text_end - 1] == '\r') --text_end;
      for (const std::string& b : boundaries) {
        if (raw.compare(pos, b.size(), b) != 0) continue;
        size_t after = pos + b.size();
        if (raw.compare(after, 2, "--") == 0) after += 2;
        if (after >= text_end) break;  // not padded
        if (raw.substr(after, text_end - after).find_first_not_of(" \t") != std::string_view::npos) continue;
        if (!out) out.emplace();
        out->append(raw.substr(copied, after - copied));
        copied = text_end;  // the line end follows
        break;
      }
    }
    pos = end + 1;
  }
  if (!out) return std::nullopt;
  out->append(raw.substr(copied));
  return out;
}

class Walker {
 public:
  Walker(Message& msg, std::string_view raw) : msg_(msg), raw_(raw) {}

  // `container`: the multipart type the entity is a part of ("" at the top).
  void walk(const mimetic::MimeEntity& entity, int depth, const std::string& container) {
    const bool in_alternative = container == "multipart/alternative";
    const mimetic::Header& h = entity.header();
    FieldMap fields = collect_fields(h);
    std::vector<std::string>& problems = msg_.problems;
    HeaderValue ct = parse_header_value(first_or_empty(fields, "content-type"), &problems);
    if (ct.value.empty() || ct.value.find('/') == std::string::npos) {
      if (!ct.value.empty()) problems.push_back("invalid Content-Type \"" + ct.value + "\" read as text/plain");
      // RFC 2045 5.2: the default; RFC 2046 5.1.5: in a digest, each part is a message.
      ct.value = container == "multipart/digest" && ct.value.empty() ? "message/rfc822" : "text/plain";
    }
    HeaderValue cd = parse_header_value(first_or_empty(fields, "content-disposition"), &problems);
    std::string cte = to_lower(trim(first_or_empty(fields, "content-transfer-encoding")));

    if (istarts_with(ct.value, "multipart/")) {
      const std::string* boundary = ct.param("boundary");
      if (!boundary || boundary->empty()) {
        problems.push_back(ct.value + " without boundary: body read as text");
      } else if (raw_.find("--" + *boundary + "--") == std::string_view::npos) {
        problems.push_back(ct.value + " has no closing boundary (truncated message?)");
      }
      if (boundary && !boundary->empty()) {
        for (const mimetic::MimeEntity* child : entity.body().parts()) {
          if (child) walk(*child, depth + 1, ct.value);
        }
        return;
      }
    }

    std::string decoded = decode_body(entity.body(), cte, problems);

    const std::string* filename = cd.param("filename");
    if (!filename) filename = ct.param("name");
    bool is_text = ct.value == "text/plain" || ct.value == "text/html";
    bool attachment = cd.value == "attachment" || (filename && !filename->empty()) || !is_text;
    if (ct.value == "message/rfc822" || ct.value == "message/global") {
      // A forwarded mail, a digest's entry: kept whole as an attachment, its subject as a name
      // when it has none; its text is its own, never the body's.
      add_attachment(ct.value, filename ? *filename : embedded_subject(entity) + ".eml", raw_body(entity));
      return;
    }
    if (attachment) {
      add_attachment(ct.value, filename ? *filename : std::string(), std::move(decoded));
      return;
    }
    std::string text = normalise_newlines(text_from_bytes(decoded, ct, ct.value.c_str(), problems));
    if (ct.value == "text/html") {
      if (!html_) html_ = std::move(text);
      else if (!in_alternative) *html_ += "\n" + text;
      return;
    }
    const std::string* format = ct.param("format");
    if (format && iequals(*format, "flowed")) {
      const std::string* delsp = ct.param("delsp");
      text = unflow(text, delsp && iequals(*delsp, "yes"));
    }
    if (in_alternative && have_plain_in_alternative_) return;  // one rendering per alternative
    if (in_alternative) have_plain_in_alternative_ = true;
    if (!plain_.empty() && !text.empty()) plain_ += "\n";
    plain_ += text;
    (void)depth;
  }

  void finish() {
    if (html_) msg_.html = sanitize_utf8(*html_);
    if (!plain_.empty() || !html_) {
      msg_.text = plain_;
    } else {
      msg_.text = html_to_text(*html_);
    }
  }

 private:
  std::string decode_body(const mimetic::Body& body, const std::string& cte, std::vector<std::string>& problems) {
    const std::string& enc = body;
    std::string out;
    if (cte == "base64") {
      const size_t end = base64_extent(enc);
      if (std::string_view(enc).substr(end).find_first_not_of(" \t\r\n") != std::string_view::npos)
        problems.push_back("text after the end of a base64 body (" + std::to_string(enc.size() - end) +
                           " bytes) is not part of it: ignored, kept in the raw message");
      Base64Stats stats;
      base64_decode(std::string_view(enc).substr(0, end), out, &stats);
      if (stats.invalid > 0) problems.push_back("base64 body has characters outside the alphabet (skipped)");
      if (stats.truncated) problems.push_back("base64 body is truncated");
    } else if (cte == "quoted-printable") {
      mimetic::QP::Decoder dec;
      mimetic::decode(enc.begin(), enc.end(), dec, std::back_inserter(out));
    } else {
      if (!cte.empty() && cte != "7bit" && cte != "8bit" && cte != "binary")
        problems.push_back("unknown Content-Transfer-Encoding \"" + cte + "\": body kept as is");
      out = enc;
    }
    return out;
  }

  // The bytes of an embedded message/rfc822 part, as written.
  std::string raw_body(const mimetic::MimeEntity& entity) {
    std::string out;
    const mimetic::Body& body = entity.body();
    if (!body.parts().empty() && body.parts().front()) {
      // mimetic parsed the embedded message as a child entity: serialise it back.
      mimetic::MimeEntity& child = *body.parts().front();
      child.copy(std::back_inserter(out));
      return out;
    }
    return std::string(body);
  }

  std::string embedded_subject(const mimetic::MimeEntity& entity) {
    const mimetic::Body& body = entity.body();
    std::string subject;
    if (!body.parts().empty() && body.parts().front()) {
      const mimetic::Header& h = static_cast<const mimetic::MimeEntity&>(*body.parts().front()).header();
      if (h.hasField("Subject")) subject = h.field("Subject").value();
    } else {
      // A digest's entry without its own Content-Type: mimetic kept it as text.
      const std::string& text = body;
      subject = first_or_empty(split_header_block(text), "subject");
    }
    std::string s = collapse_spaces(decode_header_text(subject));
    return s.empty() ? "message" : s;
  }

  void add_attachment(const std::string& type, std::string filename, std::string content) {
    Attachment a;
    a.content_type = type;
    a.filename = std::move(filename);
    a.size = content.size();
    a.sha256 = sha256_hex(content);
    a.content = std::move(content);
    msg_.attachments.push_back(std::move(a));
  }

  Message& msg_;
  std::string_view raw_;
  std::string plain_;
  std::optional<std::string> html_;
  bool have_plain_in_alternative_ = false;
};

// Case-insensitive count of `needle`, which must end with '/': a cheap pre-scan for mimetic.
size_t count_icase(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  const size_t back = needle.size() - 1;
  for (size_t pos = hay.find('/', back); pos != std::string_view::npos; pos = hay.find('/', pos + 1)) {
    if (iequals(hay.substr(pos - back, needle.size()), needle)) ++n;
  }
  return n;
}

void read_headers(Message& m, const FieldMap& f) {
  std::vector<std::string>& problems = m.problems;
  for (const char* single : {"from", "subject", "date", "message-id", "to", "cc", "in-reply-to"}) {
    auto it = f.find(single);
    if (it != f.end() && it->second.size() > 1)
      problems.push_back(std::string("duplicated header ") + single + ": the first one is used");
  }
  if (auto v = first(f, "message-id")) {
    auto ids = message_ids(*v);
    if (!ids.empty()) m.message_id = sanitize_utf8(ids.front());
    else problems.push_back("unreadable Message-ID: " + sanitize_utf8(*v));
  }
  if (m.message_id.empty() && !first(f, "message-id")) problems.push_back("no Message-ID");
  if (auto v = first(f, "in-reply-to")) {
    for (auto& id : message_ids(*v)) m.in_reply_to.push_back(sanitize_utf8(id));
  }
  if (auto it = f.find("references"); it != f.end()) {
    for (auto& value : it->second) {
      for (auto& id : message_ids(value)) m.references.push_back(sanitize_utf8(id));
    }
  }
  if (auto v = first(f, "date")) {
    m.date = parse_date(*v);
    if (!m.date) problems.push_back("unreadable Date: " + sanitize_utf8(*v));
  } else {
    problems.push_back("no Date");
  }
  auto addresses = [&](const char* name, std::vector<Address>& out) {
    if (auto it = f.find(name); it != f.end()) {
      for (auto& value : it->second) {
        auto list = parse_address_list(value, &problems);
        out.insert(out.end(), list.begin(), list.end());
        if (std::string_view(name) == "from" || std::string_view(name) == "sender") break;
      }
    }
  };
  addresses("from", m.from);
  addresses("sender", m.sender);
  addresses("reply-to", m.reply_to);
  addresses("to", m.to);
  addresses("cc", m.cc);
  if (m.from.empty()) problems.push_back("no usable From address");
  if (auto v = first(f, "subject")) m.subject = collapse_spaces(decode_header_text(*v, &problems));

  m.auto_submitted_header = sanitize_utf8(trim(first_or_empty(f, "auto-submitted")));
  m.precedence = sanitize_utf8(trim(first_or_empty(f, "precedence")));
  m.list_id = sanitize_utf8(trim(first_or_empty(f, "list-id")));
  if (auto v = first(f, "return-path")) {
    std::string rp(trim(*v));
    if (rp.size() >= 2 && rp.front() == '<' && rp.back() == '>') rp = rp.substr(1, rp.size() - 2);
    m.return_path = sanitize_utf8(trim(rp));
  }
  m.x_loop = sanitize_utf8(trim(first_or_empty(f, "x-loop")));
  m.thread_index = sanitize_utf8(trim(first_or_empty(f, "thread-index")));
  m.thread_topic = collapse_spaces(decode_header_text(first_or_empty(f, "thread-topic")));
  m.authentication_results = sanitize_utf8(first_or_empty(f, "authentication-results"));
  for (const char* name : {"delivered-to", "x-original-to"}) {
    if (auto v = first(f, name); v && m.delivered_to.empty()) {
      auto list = parse_address_list(*v);
      if (!list.empty()) m.delivered_to = list.front().address;
    }
  }
  if (auto it = f.find("received"); it != f.end()) {
    for (auto& r : it->second) m.received.push_back(sanitize_utf8(collapse_spaces(r)));
  }
}

void classify(Message& m, const FieldMap& f, const std::string& top_type, const HeaderValue& top_ct) {
  // RFC 3834 section 5: anything but "no" is automatic.
  if (!m.auto_submitted_header.empty()) {
    std::string token = to_lower(trim(m.auto_submitted_header.substr(0, m.auto_submitted_header.find(';'))));
    if (token != "no") m.auto_submitted = true;
  }
  if (f.count("x-autoreply") || f.count("x-autorespond") || f.count("x-autogenerated")) m.auto_submitted = true;
  if (auto v = first(f, "x-auto-response-suppress")) {
    // Exchange marks its own automatic mail (out-of-office, rules) so that nobody answers it.
    if (icontains(*v, "all") || icontains(*v, "oof") || icontains(*v, "autoreply")) m.auto_submitted = true;
  }
  std::string prec = to_lower(m.precedence);
  if (prec == "auto_reply") m.auto_submitted = true;
  if (prec == "list" || prec == "bulk" || prec == "junk") m.list = true;
  if (!m.list_id.empty() || f.count("list-unsubscribe")) m.list = true;

  if (top_type == "multipart/report") {
    const std::string* rt = top_ct.param("report-type");
    if (rt && iequals(*rt, "disposition-notification")) m.auto_submitted = true;  // read receipts
    else m.bounce = true;
  }
  if (m.return_path && m.return_path->empty()) m.bounce = true;
  for (const Address& a : m.from) {
    if (machine_address(a.address) == MachineAddress::bounce_sender) m.bounce = true;
  }
}

}  // namespace

Message parse(std::string_view raw, const ParseLimits& limits) {
  Message m;
  size_t header_end = raw.find("\n\n");
  size_t header_end_crlf = raw.find("\r\n\r\n");
  // The header block with the empty line that ends it (mimetic needs that line to see the last field).
  size_t header_len = std::min(header_end == std::string_view::npos ? header_end : header_end + 2,
                               header_end_crlf == std::string_view::npos ? header_end_crlf : header_end_crlf + 4);
  if (header_len == std::string_view::npos) header_len = raw.size();

  std::string_view to_parse = raw;
  bool header_only = true;
  if (raw.size() > limits.max_message_bytes) {
    m.problems.push_back("message of " + std::to_string(raw.size()) + " bytes exceeds the " +
                         std::to_string(limits.max_message_bytes) + "-byte limit: only the header was parsed");
    to_parse = raw.substr(0, header_len);
  } else if (count_icase(raw, "multipart/") > static_cast<size_t>(limits.max_multiparts)) {
    m.problems.push_back("more than " + std::to_string(limits.max_multiparts) +
                         " multipart containers: only the header was parsed");
    to_parse = raw.substr(0, header_len);
  } else {
    header_only = false;
  }

  // Kept alive for the parse: what mimetic reads when delimiter lines had transport padding.
  std::optional<std::string> unpadded;
  if (!header_only) {
    unpadded = without_transport_padding(raw);
    if (unpadded) to_parse = *unpadded;
  }

  FieldMap fields;
  std::string top_type;
  HeaderValue top_ct;
  try {
    mimetic::MimeEntity entity(to_parse.begin(), to_parse.end());
    const mimetic::MimeEntity& ce = entity;
    fields = collect_fields(ce.header());
    read_headers(m, fields);
    top_ct = parse_header_value(first_or_empty(fields, "content-type"));
    top_type = top_ct.value;
    Walker walker(m, to_parse);
    if (!header_only) walker.walk(ce, 0, "");
    walker.finish();
  } catch (const std::exception& e) {
    m = Message{};
    m.problems.push_back(std::string("MIME structure could not be parsed (") + e.what() + "): body kept as text");
    fields = split_header_block(raw);
    read_headers(m, fields);
    std::string body(raw.substr(std::min(raw.size(), header_len)));
    std::string problem;
    m.text = normalise_newlines(to_utf8(trim(body), "", &problem));
  }
  if (fields.empty()) m.problems.push_back("no header fields: not an email?");
  for (const auto& [name, values] : fields) {
    for (const auto& v : values) m.headers.emplace_back(sanitize_utf8(name), collapse_spaces(decode_header_text(v)));
  }
  classify(m, fields, top_type, top_ct);
  m.subject = sanitize_utf8(m.subject);
  m.text = sanitize_utf8(m.text);
  for (auto& p : m.problems) p = sanitize_utf8(p);
  return m;
}

}  // namespace guichet::mail
