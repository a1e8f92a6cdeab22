// The search index (schema/0007_search.sql) and its queries; part of Store (store/store.h).
#include "store/search.h"

#include <algorithm>
#include <cctype>
#include <unordered_set>

#include "store/search_index.h"
#include "store/store.h"
#include "util/strings.h"
#include "util/text_fold.h"

namespace guichet::store {

namespace {

// Letters and digits, and what folding left of other scripts; not the punctuation typed in
// French (« », ’ “ ”, – —, …, the no-break spaces): the index's tokenizer separates words there, so
// "l’école" is two words, and a word holding one would be a phrase the index cannot answer.
size_t separator_at(const std::string& s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return std::isalnum(c) ? 0 : 1;
  if (c == 0xC2 && i + 1 < s.size()) return 2;  // U+0080..U+00BF: « » ° ¿, no letter
  if (c == 0xE2 && i + 2 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xFE) == 0x80) return 3;  // U+2000..U+207F
  return 0;
}

std::vector<std::string> words_of(const std::string& folded) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i < folded.size();) {
    if (const size_t n = separator_at(folded, i)) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      i += n;
    } else {
      cur.push_back(folded[i++]);
    }
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

bool civility(const std::string& w) {
  static const std::unordered_set<std::string> words = {"m",      "mr",     "mme",        "mlle",   "mmes", "mm",
                                                       "madame", "monsieur", "mademoiselle", "dr", "me",   "docteur",
                                                       "maitre"};
  return words.count(w) > 0;
}

bool digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), ::isdigit); }

// The reference written as "2026-42", "2026-000042", "2026/42", "2026 42" or "M2026-000012".
std::optional<std::string> reference_in(const std::string& text) {
  std::string t(trim(text));
  std::string prefix;
  if (!t.empty() && (t[0] == 'M' || t[0] == 'm')) {
    prefix = "M";
    t.erase(0, 1);
  }
  for (char sep : {'-', '/', ' ', '.'}) {
    const size_t at = t.find(sep);
    if (at == 4 && digits(t.substr(0, 4)) && digits(std::string_view(t).substr(5)) && t.size() - 5 <= 6) {
      const long n = std::stol(t.substr(5));
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%s-%06ld", prefix.c_str(), t.substr(0, 4).c_str(), n);
      return std::string(buf);
    }
  }
  if (t.size() == 10 && digits(t)) return prefix + t.substr(0, 4) + "-" + t.substr(4);  // 2026000042
  return std::nullopt;
}

}  // namespace

std::string search_text(const std::string& utf8) { return fold_text(utf8); }

ParsedQuery parse_search(const std::string& text) {
  ParsedQuery q;
  q.reference = reference_in(text);
  // A word holding U+E000 would name a scope's term (store/search_index.h): no one types one.
  for (auto& w : words_of(fold_text(text)))
    if (!civility(w) && w.find(kScopeMark) == std::string::npos) q.words.push_back(std::move(w));
  return q;
}

// ---- Store: keeping the index current ----

Result<void> Store::index_message(std::int64_t row, std::int64_t request_id, const StoredMail& m) {
  if (!search_indexing()) return {};
  return index_stored_message(database(), row, request_id, m);
}

Result<void> Store::index_request(std::int64_t id, bool remove) {
  if (!search_indexing()) return {};
  return index_request_rows(database(), id, remove);
}

Result<void> Store::build_search_index(const std::function<void(std::int64_t done, std::int64_t total)>& progress) {
  auto number = [&](const char* key) -> Result<std::int64_t> {
    auto v = setting(key);
    if (!v) return v.error();
    return *v ? std::stoll(**v) : 0;
  };
  auto until_m = number("search_build_messages"), until_r = number("search_build_requests");
  if (!until_m) return until_m.error();
  if (!until_r) return until_r.error();
  auto done_m = number("search_built_messages"), done_r = number("search_built_requests");
  if (!done_m) return done_m.error();
  if (!done_r) return done_r.error();
  if (*done_m >= *until_m && *done_r >= *until_r) return {};
  const std::int64_t total = *until_m + *until_r;
  // Batches of 2,000, each its own transaction: an interrupted build resumes where it stopped.
  for (std::int64_t at = *done_r; at < *until_r;) {
    auto tx = transaction();
    if (!tx) return tx.error();
    const std::int64_t end = std::min(at + 2000, *until_r);
    for (std::int64_t id = at + 1; id <= end; ++id)
      if (auto r = index_request(id, false); !r) return r;
    if (auto r = put_setting("search_built_requests", std::to_string(end)); !r) return r;
    if (auto r = tx->commit(); !r) return r;
    at = end;
    if (progress) progress(at, total);
  }
  for (std::int64_t at = *done_m; at < *until_m;) {
    auto tx = transaction();
    if (!tx) return tx.error();
    const std::int64_t end = std::min(at + 2000, *until_m);
    // Those not in the index yet (a message stored meanwhile was indexed as it came).
    auto st = impl_stmt(std::string("SELECT m.id, m.request_id, ") + kStoredMailColumns +
                        " FROM messages m LEFT JOIN search_scope s ON s.message_id = m.id "
                        "WHERE m.id > ?1 AND m.id <= ?2 AND s.message_id IS NULL ORDER BY m.id");
    if (!st) return st.error();
    (*st)->bind(1, at).bind(2, end);
    struct Doc {
      std::int64_t id, request_id;
      StoredMail m;
    };
    std::vector<Doc> docs;
    auto each = (*st)->each([&](const Statement& s) {
      docs.push_back({s.int64(0), s.int64(1), stored_mail(s, 2)});
    });
    if (!each) return each.error();
    for (const auto& d : docs)
      if (auto r = index_message(d.id, d.request_id, d.m); !r) return r;
    if (auto r = put_setting("search_built_messages", std::to_string(end)); !r) return r;
    if (auto r = tx->commit(); !r) return r;
    at = end;
    if (progress) progress(*until_r + at, total);
  }
  return {};
}

// ---- Store: queries ----

namespace {

// What a request must be to be shown (not merged away, the status and department asked, the
// person's rights), as SQL over `r`, with its values: bound from parameter 3 on. Filtering in SQL
// lets a search limited to one department stop as soon as it has enough, instead of reading every
// match of a common word and throwing most away.
struct Scope {
  std::string sql = "r.merged_into IS NULL";
  std::vector<std::string> values;

  std::string param(std::string v) {
    values.push_back(std::move(v));
    return "?" + std::to_string(values.size() + 2);
  }
  void bind(Statement& st) const {
    for (size_t i = 0; i < values.size(); ++i) st.bind(static_cast<int>(i) + 3, values[i]);
  }
};

Scope scope_of(const SearchQuery& q) {
  Scope s;
  if (q.status) s.sql += " AND r.status = " + s.param(std::string(name(*q.status)));
  if (q.department) s.sql += " AND r.department = " + s.param(*q.department);
  if (!q.everything) {
    std::string any;
    auto alt = [&](const std::string& c) { any += (any.empty() ? "" : " OR ") + c; };
    if (q.agent) alt("r.agent = " + s.param(*q.agent));
    for (const auto& d : q.departments) alt("r.department = " + s.param(d));
    for (const auto& t : q.tags) alt("instr(r.tags, " + s.param("\"" + t + "\"") + ") > 0");
    s.sql += " AND (" + (any.empty() ? std::string("0") : any) + ")";
  }
  return s;
}

bool looks_like_address(const std::string& text) {
  const std::string t(trim(text));
  const size_t at = t.find('@');
  return at != std::string::npos && at > 0 && at + 1 < t.size() && t.find_first_of(" \t<>,;") == std::string::npos;
}

}  // namespace

Result<std::string> Store::index_scope(const SearchQuery& q) {
  if (!q.department && q.everything) return std::string();
  // Every row must carry the scope it has now: none queued for a new one, the index built.
  auto ready = impl_stmt(
      "SELECT NOT EXISTS (SELECT 1 FROM search_rescope) AND "
      "(SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'search_built_messages') >= "
      "(SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'search_build_messages') AND "
      "(SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'search_built_requests') >= "
      "(SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'search_build_requests')");
  if (!ready) return ready.error();
  auto row = (*ready)->step();
  if (!row) return row.error();
  const bool usable = *row && (*ready)->int64(0) == 1;
  (*ready)->reset();
  if (!usable) return std::string();
  // A term no row was ever given matches nothing: U+E000 0 (the ids start at 1).
  auto word = [&](const std::string& term) -> Result<std::string> {
    auto t = scope_term(database(), term, false);
    if (!t) return t.error();
    return "\"" + t->value_or(std::string(kScopeMark) + "0") + "\"";
  };
  std::string out;
  if (q.department) {
    auto w = word("department:" + *q.department);
    if (!w) return w.error();
    out = *w;
  }
  if (!q.everything) {
    std::vector<std::string> terms;
    if (q.agent) terms.push_back("agent:" + *q.agent);
    for (const auto& d : q.departments) terms.push_back("department:" + d);
    for (const auto& t : q.tags) terms.push_back("tag:" + t);
    std::string any;
    for (const auto& t : terms) {
      auto w = word(t);
      if (!w) return w.error();
      any += (any.empty() ? "" : " OR ") + *w;
    }
    if (any.empty()) any = "\"" + std::string(kScopeMark) + "0\"";
    out += (out.empty() ? "(" : " AND (") + any + ")";
  }
  return out;
}

Result<void> Store::vocabulary() {
  // IF NOT EXISTS each time rather than a flag: a rolled-back transaction takes the tables away.
  return database().exec(
      "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_vocab USING fts5vocab(main, search, row);"
      "CREATE VIRTUAL TABLE IF NOT EXISTS temp.search_requests_vocab USING fts5vocab(main, search_requests, row)");
}

Result<std::vector<RequestInfo>> Store::search(const SearchQuery& q) {
  const ReadSnapshot snapshot(database());
  const ParsedQuery parsed = parse_search(q.text);
  const Scope scope = scope_of(q);
  const size_t wanted = static_cast<size_t>(std::max(1, q.limit)) * 4;
  std::vector<std::int64_t> ids;  // requests, best first
  std::unordered_set<std::int64_t> seen;
  auto add = [&](std::int64_t id) {
    if (seen.insert(id).second) ids.push_back(id);
  };
  // The distinct requests of a query's rows (the rights applied), in its order, until `want` of them.
  auto collect = [&](const std::string& sql, const std::string& key, size_t want,
                     std::vector<std::int64_t>& into) -> Result<void> {
    auto st = impl_stmt(sql + " AND " + scope.sql + " ORDER BY 1 DESC LIMIT ?2");
    if (!st) return st.error();
    (*st)->bind(1, key).bind(2, static_cast<std::int64_t>(50000));
    scope.bind(**st);
    std::unordered_set<std::int64_t> mine;
    while (mine.size() < want) {
      auto row = (*st)->step();
      if (!row) return row.error();
      if (!*row) break;
      const std::int64_t id = (*st)->int64(1);
      if (mine.insert(id).second) into.push_back(id);
    }
    (*st)->reset();
    return {};
  };
  // The words of the requests themselves, of their messages (newest first: rowids grow with
  // time), and the trigrams of requesters' names; each row with its request. CROSS JOIN keeps
  // SQLite reading from the index (or the participants) outwards: left to choose, it read every
  // request of the department an élu may see, 224 ms for an address over a million mails.
  const std::string requests_sql = "SELECT q.rowid, r.id FROM search_requests q CROSS JOIN requests r ON r.id = q.rowid "
                                   "WHERE search_requests MATCH ?1";
  const std::string messages_sql = "SELECT s.rowid, r.id FROM search s CROSS JOIN messages m ON m.id = s.rowid "
                                   "CROSS JOIN requests r ON r.id = m.request_id WHERE search MATCH ?1";
  const std::string names_sql = "SELECT n.rowid, r.id FROM search_names n CROSS JOIN requests r ON r.id = n.rowid "
                                "WHERE search_names MATCH ?1";
  auto narrowing = index_scope(q);
  if (!narrowing) return narrowing.error();
  auto words = [&](const std::string& match, size_t want, std::vector<std::int64_t>& into) -> Result<void> {
    const std::string scoped = narrowing->empty() ? match : "(" + match + ") AND " + *narrowing;
    if (auto r = collect(requests_sql, scoped, want, into); !r) return r;
    return collect(messages_sql, scoped, want, into);
  };

  // Whether a query gives any row at all, whoever may see it.
  auto any = [&](const std::string& sql, const std::string& key) -> Result<bool> {
    auto st = impl_stmt(sql + " LIMIT 1");
    if (!st) return st.error();
    (*st)->bind(1, key);
    auto row = (*st)->step();
    if (!row) return row.error();
    (*st)->reset();
    return *row;
  };
  // A reference names one request, an address the requests its owner takes part in (as requester,
  // in copy, as the agent): those, if this person may see them, and nothing else. Only a
  // reference or an address the database does not know is looked for as words.
  bool named = false;
  if (parsed.reference) {
    auto known = any("SELECT id FROM requests WHERE reference = ?1", *parsed.reference);
    if (!known) return known.error();
    named = *known;
    // An old reference of a merged request names the request it was merged into.
    if (auto r = collect("WITH RECURSIVE chain(id, next, hops) AS (SELECT id, merged_into, 0 FROM requests "
                         "WHERE reference = ?1 UNION ALL SELECT q.id, q.merged_into, c.hops + 1 FROM requests q "
                         "JOIN chain c ON q.id = c.next WHERE c.hops < 32) "
                         "SELECT r.id, r.id FROM chain c CROSS JOIN requests r ON r.id = c.id WHERE c.next IS NULL",
                         *parsed.reference, 1, ids);
        !r)
      return r.error();
  }
  const std::string address = to_lower(std::string(trim(q.text)));
  if (!named && looks_like_address(address)) {
    auto known = any("SELECT request_id FROM participants WHERE address = ?1", address);
    if (!known) return known.error();
    named = *known;
    if (auto r = collect("SELECT r.id, r.id FROM participants p CROSS JOIN requests r ON r.id = p.request_id WHERE p.address = ?1",
                         address, wanted, ids);
        !r)
      return r.error();
  }
  for (auto id : ids) seen.insert(id);
  if (!named && !parsed.words.empty()) {
    // Words are folded to letters and digits: safe inside quotes. A word the index holds whole is
    // matched whole, others as the start of a word ("secco"): FTS5 answers a prefix by merging the
    // whole lists of every word it starts, so "jean*" over a million mails costs 50 ms where
    // "jean" streams the newest first in a millisecond (bench/search.sh). Two letters or fewer:
    // whole words only ("de" would be a prefix of every mail).
    auto term = [](const std::string& w) { return "\"" + w + "\"" + (w.size() > 2 ? "*" : ""); };
    auto whole = [](const std::string& w) { return "\"" + w + "\""; };
    auto indexed = [&](const std::string& w) -> Result<bool> {
      auto in_requests = any("SELECT rowid FROM search_requests WHERE search_requests MATCH ?1", whole(w));
      if (!in_requests || *in_requests) return in_requests;
      return any("SELECT rowid FROM search WHERE search MATCH ?1", whole(w));
    };
    // Whether the index holds a longer word that starts with `w` ("salles" for "salle"): only
    // then can its prefix find what the whole word did not. The vocabulary is sorted, so this
    // is one step, where the prefix query merges every list it names even to find nothing (a
    // word absent from an élu's departments: 29 ms over a million mails, bench/search.sh).
    auto extended = [&](const std::string& w) -> Result<bool> {
      if (auto r = vocabulary(); !r) return r.error();
      // 0xFF is never in UTF-8: every word that starts with `w` sorts below w + 0xFF.
      const std::string above = w + '\xFF';
      for (const char* sql : {"SELECT 1 FROM temp.search_requests_vocab WHERE term > ?1 AND term < ?2 LIMIT 1",
                              "SELECT 1 FROM temp.search_vocab WHERE term > ?1 AND term < ?2 LIMIT 1"}) {
        auto st = impl_stmt(sql);
        if (!st) return st.error();
        (*st)->bind(1, w).bind(2, above);
        auto row = (*st)->step();
        if (!row) return row.error();
        (*st)->reset();
        if (*row) return true;
      }
      return false;
    };
    std::string first;
    std::vector<bool> known_words;
    for (const auto& w : parsed.words) {
      auto known = indexed(w);
      if (!known) return known.error();
      known_words.push_back(*known);
      first += (first.empty() ? "" : " AND ") + (*known ? whole(w) : term(w));
    }
    std::vector<std::int64_t> found;
    if (auto r = words(first, wanted, found); !r) return r.error();
    // Nothing with the whole words: perhaps they were the start of longer ones ("martin" of
    // "Martinez"), for the words that start any.
    if (found.empty()) {
      std::string all;
      for (size_t i = 0; i < parsed.words.size(); ++i) {
        const std::string& w = parsed.words[i];
        bool longer = true;
        if (known_words[i] && w.size() > 2) {
          auto e = extended(w);
          if (!e) return e.error();
          longer = *e;
        }
        all += (all.empty() ? "" : " AND ") + (longer ? term(w) : whole(w));
      }
      if (first != all) {
        if (auto r = words(all, wanted, found); !r) return r.error();
      }
    }
    // Nothing: a word may be the middle of a requester's name ("cotine"): each word in the words
    // or in the names as trigrams, the requests having them all. Not when every word is the start
    // of some word of the index: then they are simply never together.
    bool some_word_unknown = false;
    for (size_t i = 0; i < parsed.words.size(); ++i) {
      if (some_word_unknown || !found.empty()) break;
      if (known_words[i]) continue;  // held whole: its prefix matches
      const std::string& w = parsed.words[i];
      auto in_requests = any("SELECT rowid FROM search_requests WHERE search_requests MATCH ?1", term(w));
      if (!in_requests) return in_requests.error();
      auto in_messages = *in_requests ? Result<bool>(true) : any("SELECT rowid FROM search WHERE search MATCH ?1", term(w));
      if (!in_messages) return in_messages.error();
      some_word_unknown = !*in_messages;
    }
    if (found.empty() && some_word_unknown) {
      std::optional<std::unordered_set<std::int64_t>> common;
      for (const auto& w : parsed.words) {
        std::vector<std::int64_t> these;
        if (auto r = words(term(w), 5000, these); !r) return r.error();
        if (w.size() >= 3) {
          if (auto r = collect(names_sql, "\"" + w + "\"", 5000, these); !r) return r.error();
        }
        std::unordered_set<std::int64_t> set(these.begin(), these.end());
        if (!common) {
          common = std::move(set);
          found = these;
        } else {
          std::unordered_set<std::int64_t> both;
          for (auto id : set)
            if (common->count(id)) both.insert(id);
          common = std::move(both);
        }
      }
      std::vector<std::int64_t> kept;
      for (auto id : found)
        if (common && common->count(id)) kept.push_back(id);
      found = std::move(kept);
    }
    for (auto id : found) add(id);
  }
  // The last active first among the `wanted` best, each ordered by its one row: only the requests
  // shown read their messages (request_summary), which in a new process costs a page or two of
  // the disk each (bench/search.sh, the whole command).
  if (!q.by_rank) {
    auto st = impl_stmt("SELECT coalesce(last_message_at, received_at) FROM requests WHERE id = ?1");
    if (!st) return st.error();
    std::vector<std::pair<std::int64_t, std::int64_t>> active;  // last activity, request
    for (auto id : ids) {
      (*st)->bind(1, id);
      auto row = (*st)->step();
      if (!row) return row.error();
      if (*row) active.emplace_back((*st)->int64(0), id);
      (*st)->reset();
      if (active.size() >= wanted) break;
    }
    std::stable_sort(active.begin(), active.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    ids.clear();
    for (const auto& a : active) ids.push_back(a.second);
  }
  std::vector<RequestInfo> out;
  for (auto id : ids) {
    if (static_cast<int>(out.size()) >= q.limit) break;
    auto r = request_summary(id);
    if (!r) return r.error();
    if (*r) out.push_back(**r);
  }
  return out;
}

}  // namespace guichet::store
