// Store: guichet's SQLite database (one file per commune, WAL, synchronous=FULL).
//
// Opening runs the pending migrations. Write methods must be called inside a Transaction
// (store.transaction()); the caller decides how much one commit covers: one mail in pipe mode, a
// batch during an import. Nothing is acknowledged to a source before the commit returns.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mail/message.h"
#include "store/kinds.h"
#include "store/mailbox_state.h"
#include "store/outbox.h"
#include "store/raw_codec.h"
#include "store/search.h"
#include "store/search_index.h"
#include "store/sqlite.h"
#include "store/web.h"

namespace guichet::store {

struct ExistingMessage {
  std::int64_t id = 0;
  std::int64_t request_id = 0;
  std::string reference;
  std::string content_hash;
};

// A request as threading sees it, after following merges.
struct RequestState {
  std::int64_t id = 0;
  std::string reference;
  RequestStatus status = RequestStatus::new_request;
  std::optional<std::int64_t> closed_at;
  std::int64_t last_message_at = 0;
};

// What routing decided for a new request.
struct Routing {
  std::optional<std::string> agent;
  std::string priority = "normal";
  std::vector<std::string> tags;
  std::string silence = "none";
  std::optional<std::string> delay;               // "2 mois"
  std::optional<std::string> deemed_decision_on;  // YYYY-MM-DD
  std::vector<std::string> rules;                 // names of the rules that matched
};

// What a request is: a resident's request, or machine mail that threaded nowhere (kept apart,
// listed with `list --machine`, never acknowledged; `promote` makes it a request).
enum class RequestKind { request, machine };
// How it reached the town hall.
enum class Channel { email, telephone, counter, letter };
const char* name(RequestKind k);
const char* name(Channel c);  // email | telephone | guichet | courrier
std::optional<Channel> parse_channel(std::string_view s);

struct NewRequest {
  std::string subject;
  mail::Address requester;
  std::optional<std::string> department;
  Routing routing;
  std::int64_t received_at = 0;
  int year = 0;  // of receipt, local time: picks the reference sequence
  std::optional<std::int64_t> linked_to;
  RequestKind kind = RequestKind::request;
  Channel channel = Channel::email;
  std::string mailbox;  // the configured mailbox it arrived in
  std::string requester_phone, requester_postal;
  std::optional<std::string> response_due_on;  // YYYY-MM-DD
};

// The threading keys of a message (lib/threading/keys.h).
struct MessageKeys {
  std::string sender;  // lower-case From address
  std::string subject_key;
  std::string body_key;
  std::string thread_key;
};

// What a message is to its request (schema/0006_follow_through.sql).
enum class MessageRole { resident, answer, note, command, refused, machine };
const char* name(MessageRole r);

struct NewMessage {
  std::int64_t request_id = 0;
  std::int64_t raw_id = 0;
  std::string content_hash;
  std::int64_t received_at = 0;
  std::string matched_by;
  MessageKeys keys;
  MessageRole role = MessageRole::resident;
  std::optional<std::string> agent;  // the authenticated agent who wrote it
};

struct Source {
  std::string mailbox = "file";  // configured mailbox name, "file" or "stdin"
  std::string location;          // path, or UIDVALIDITY/UID
  std::string recipient;         // the address this copy was delivered to, when known
};

struct AttachmentInfo {
  std::string filename, content_type, sha256;
  std::int64_t size = 0;
};

struct SourceInfo {
  std::string mailbox, location, recipient;
  std::int64_t seen_at = 0;
};

struct MessageInfo {
  std::int64_t id = 0;
  std::optional<std::string> message_id;
  mail::Address from;
  std::string subject;
  std::optional<std::int64_t> date;
  std::int64_t received_at = 0;
  std::string text;
  bool has_html = false;
  bool auto_submitted = false, bounce = false, list = false;
  std::string headers_json;   // JSON object
  std::string problems_json;  // JSON list
  std::string matched_by;
  std::string role = "resident";
  std::optional<std::string> agent;
  std::vector<AttachmentInfo> attachments;
  std::vector<SourceInfo> sources;
};

struct EventInfo {
  std::int64_t at = 0;
  std::string actor, kind, detail_json;
  std::optional<std::int64_t> message;
};

// One answer a resident received or was left (schema 0006, `answers`).
enum class AnswerHow { relayed, direct, sent_folder, held, released };
const char* name(AnswerHow h);
struct AnswerInfo {
  std::int64_t id = 0;
  std::optional<std::int64_t> message_row, outbox_id;
  std::optional<std::string> agent;
  std::string agent_address;
  std::string how;
  int version = 0;
  std::int64_t at = 0;
};

struct RequestInfo {
  std::int64_t id = 0;
  std::string reference, subject;
  RequestStatus status = RequestStatus::new_request;
  mail::Address requester;
  std::optional<std::string> department, agent;
  std::int64_t received_at = 0;
  std::optional<std::string> linked_to, merged_into;  // references
  int relances = 0;
  std::string priority = "normal";
  std::string tags_json = "[]";
  std::string silence = "none";
  std::optional<std::string> delay, deemed_decision_on;
  std::vector<std::string> message_ids;  // Message-IDs, in order of arrival (empty when absent)
  int problem_messages = 0;              // messages that carry decoding problems
  std::string kind = "request";          // request | machine
  std::string channel = "email";         // email | telephone | guichet | courrier
  std::string mailbox;
  std::string requester_phone, requester_postal;
  int answer_version = 0;
  std::optional<std::int64_t> first_answer_at, last_answer_at, closed_at, last_message_at;
  std::int64_t created_at = 0;  // when guichet learned of it (an import: long after received_at)
  // Its personal data was removed (retention, or an erasure): an anonymous tombstone (store/purge.h).
  std::optional<std::int64_t> purged_at;
  // The clocks of the law (docs/legal.md §2, §3): receipt by the competent service, suspension
  // while pieces are missing, the full acknowledgement, the implicit decision.
  std::optional<std::int64_t> competent_since, suspended_since, full_ack_at, decided_at;
  int suspended_days = 0;
  std::vector<std::string> missing;
  std::optional<std::string> missing_deadline, response_due_on;
  // Filled by request() only:
  std::vector<MessageInfo> messages;
  std::vector<EventInfo> events;
  std::vector<AnswerInfo> answers;
};

// A change to a request; fields left empty are kept. Applied by Store::update_request in the
// caller's transaction, with updated_at.
struct RequestChanges {
  std::optional<std::optional<std::string>> department, agent;
  std::optional<RequestStatus> status;
  std::optional<std::string> priority, silence, subject;
  std::optional<std::optional<std::string>> delay, deemed_decision_on, missing_deadline, response_due_on;
  std::optional<std::optional<std::int64_t>> competent_since, suspended_since, full_ack_at, decided_at;
  std::optional<int> suspended_days;
  std::optional<std::vector<std::string>> missing;
  std::optional<RequestKind> kind;
  // An answer reached or was left for the resident: answer_version + 1, first/last answer times.
  std::optional<std::int64_t> answered_at;
};

struct ListFilter {
  std::optional<RequestStatus> status;
  bool include_merged = false;
  RequestKind kind = RequestKind::request;
  std::optional<std::string> department, agent;
  bool open_only = false;  // every status but closed
  bool by_deadline = false;  // the nearest response target first, those without one last
  int limit = 0;           // 0: all
};

// The live view, per department: requests open, late (the response target passed without an
// answer), answered this month and of those within the target, open ones the resident chased.
struct DepartmentFigures {
  std::string department;
  int open = 0, late = 0, answered_this_month = 0, within_target_this_month = 0, relanced = 0;
};

class Store {
 public:
  static Result<Store> open(const std::string& path, Database::Mode mode = Database::Mode::read_write);

  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  Result<Transaction> transaction();
  // The connection itself, for maintenance commands and tests (PRAGMAs, counts).
  Database& database();
  // The outbox and the mailboxes' positions, on this connection.
  Outbox outbox();
  MailboxStates mailboxes();
  WebLogins web();
  // An attachment's decoded content, by its SHA-256 (nullopt when unknown).
  Result<std::optional<std::string>> blob(const std::string& sha256);

  // Look-ups used by ingest decisions.
  Result<std::optional<ExistingMessage>> find_by_message_id(const std::string& message_id);
  Result<std::optional<ExistingMessage>> find_by_content_hash(const std::string& hash);

  // Threading look-ups. Each follows merges to the request that absorbed the one found.
  // The request a Message-ID belongs to, and whether it was only seen in references.
  Result<std::optional<std::pair<RequestState, bool>>> find_thread_id(const std::string& message_id);
  Result<std::optional<RequestState>> find_request(const std::string& reference);
  Result<std::optional<RequestState>> find_by_thread_key(const std::string& key);
  // An open request with a message from `sender` on the same subject received since `since`.
  Result<std::optional<RequestState>> find_open_by_subject(const std::string& sender, const std::string& subject_key,
                                                           std::int64_t since);
  // The open requests `sender` wrote to since `since`, each with the subjects they wrote under,
  // the most recent first: a chaser's subject ("Relance : …") ends with one of them.
  struct SubjectOf {
    RequestState request;
    std::string subject_key;
  };
  Result<std::vector<SubjectOf>> open_subjects_of(const std::string& sender, std::int64_t since);
  // When `sender` wrote each of their messages in open requests since `since`: a mail citing
  // "mon courriel du 3 novembre" belongs with the one request they wrote to that day.
  struct MailOf {
    RequestState request;
    std::int64_t received_at = 0;
  };
  Result<std::vector<MailOf>> open_mail_of(const std::string& sender, std::int64_t since);
  // The newest open request whose requester is `address` and that has a message on this subject:
  // an answer sent to the resident without References (Outlook) belongs there.
  Result<std::optional<RequestState>> find_open_of_requester(const std::string& address, const std::string& subject_key);
  // A message from `sender` with the same subject and body received since `since`.
  Result<std::optional<ExistingMessage>> find_resent(const MessageKeys& keys, std::int64_t since);
  Result<bool> is_participant(std::int64_t request_id, const std::string& address);
  // Assignment look-ups: the agent of the department's latest request, and each agent's number
  // of requests not closed.
  Result<std::optional<std::string>> last_assigned(const std::string& department);
  Result<std::map<std::string, int>> open_load(const std::string& department);

  // Stores the exact bytes (deduplicated by SHA-256) and each attachment's content once.
  Result<std::int64_t> put_raw(std::string_view raw, const mail::Message& parsed);
  // The same with the encoding already made (prepare_raw, store/raw_codec.h), off the store's thread.
  Result<std::int64_t> put_raw(std::string_view raw, const mail::Message& parsed, const PreparedRaw& prepared);
  Result<std::string> raw(std::int64_t message_row);

  // The reference the next request received in `year` will get (read-only: `rules test`).
  Result<std::string> peek_reference(int year);
  Result<std::pair<std::int64_t, std::string>> create_request(const NewRequest& r, std::int64_t now);
  // Machine mail `id` becomes a request: kind request and the next reference of `year`, returned.
  Result<std::string> promote(std::int64_t id, int year, std::int64_t now);
  Result<std::int64_t> add_message(const NewMessage& m, const mail::Message& parsed, std::int64_t now);
  Result<void> add_source(std::int64_t message_row, const Source& s, std::int64_t now);
  // Records a message's own Message-ID and, as placeholders, those it references.
  Result<void> add_thread_ids(std::int64_t request_id, const std::string& own, const std::vector<std::string>& referenced);
  // A message joined the request: last activity, relance count, reopening.
  Result<void> touch_request(std::int64_t request_id, std::int64_t message_at, bool relance, bool reopen,
                             std::int64_t now);
  Result<void> set_status(std::int64_t request_id, RequestStatus status, std::int64_t now);
  // Moves every message of `from` into `into`; `from` keeps its reference and points to `into`.
  Result<void> merge(std::int64_t into, std::int64_t from, std::int64_t now);
  // Moves one message into a new request linked to its old one; returns the new reference.
  Result<std::string> split(std::int64_t message_row, int year, std::int64_t now);
  Result<void> add_participant(std::int64_t request_id, const mail::Address& who, const std::string& role);
  Result<void> add_event(std::optional<std::int64_t> request_id, std::optional<std::int64_t> message_row,
                         std::int64_t at, const std::string& actor, const std::string& kind,
                         const std::string& detail_json = "{}");

  Result<std::vector<RequestInfo>> requests(const ListFilter& filter = {});
  Result<std::int64_t> count_requests(const ListFilter& filter = {});
  // With messages, events and answers.
  Result<std::optional<RequestInfo>> request(const std::string& reference);
  // The request's own row only (after following merges when `follow_merges`).
  Result<std::optional<RequestInfo>> request_summary(std::int64_t id);
  Result<std::optional<RequestInfo>> request_summary(const std::string& reference, bool follow_merges = true);
  Result<void> update_request(std::int64_t id, const RequestChanges& changes, std::int64_t now);
  Result<std::optional<RequestStatus>> request_status(std::int64_t id);
  Result<std::int64_t> add_answer(std::int64_t request_id, const AnswerInfo& answer);
  // The Message-IDs of the request's conversation with the resident, oldest first (their mails
  // and what guichet sent them): References of the next mail; the last of the resident's is its
  // In-Reply-To.
  struct Conversation {
    std::vector<std::string> ids;
    std::string last_from_resident;
  };
  Result<Conversation> conversation(std::int64_t request_id);

  // The deadline scanner's view: every request that is not closed nor kept apart, without its
  // messages (one indexed query), and the reminders already written for them, as
  // "request_id kind level due_on" keys.
  Result<std::vector<RequestInfo>> open_requests();
  Result<std::vector<DepartmentFigures>> live_figures(const std::string& today, std::int64_t month_start);
  // The same, `limit` at a time after request `after_id`: the scanner's memory stays flat
  // whatever the number of requests.
  Result<std::vector<RequestInfo>> open_requests_after(std::int64_t after_id, int limit);
  Result<std::vector<std::string>> reminder_keys();
  // Writes a reminder once: false when the same (request, kind, level, due date) exists.
  Result<bool> add_reminder(std::int64_t request_id, const std::string& kind, int level, const std::string& due_on,
                            const std::string& recipients_json, std::int64_t now);
  // A digest once per recipient and day: false when it exists.
  Result<bool> add_digest(const std::string& recipient, const std::string& day, std::optional<std::int64_t> outbox_id,
                          std::int64_t now);
  Result<bool> has_digest(const std::string& recipient, const std::string& day);

  // What figures are made of (engine/stats.h): the requests received in [since, until) and the
  // events that count (answers, closings, transfers, relances, implicit decisions).
  struct FigureRequest {
    std::int64_t id = 0;
    std::string reference;
    std::int64_t received_at = 0;
    std::optional<std::string> department, agent, response_due_on;
    std::string first_rule, channel, subject_key;
  };
  struct FigureEvent {
    std::int64_t request_id = 0, at = 0;
    std::string kind, detail_json;
  };
  Result<std::vector<FigureRequest>> figure_requests(std::int64_t since, std::int64_t until);
  Result<std::vector<FigureEvent>> figure_events(std::int64_t since, std::int64_t until);

  // Search (store/search.h): the requests matching a query, and the index kept current (every
  // message and request is indexed as it is stored; `build_search_index` indexes what a database
  // held before schema 9, in resumable batches, saying how far it got). A request whose department,
  // agent or tags change gets its rows' new scope before the commit (store/search_index.h).
  Result<std::vector<RequestInfo>> search(const SearchQuery& q);
  // RGPD: the requests (of every kind) whose requester or a participant in copy is `who`: an
  // address, or a name matched exactly once folded and without its civility ("Mme Léa Martin" is
  // "lea martin"; a single word is nobody). Oldest first.
  Result<std::vector<std::int64_t>> requests_of_person(const std::string& who);
  Result<void> index_message(std::int64_t row, std::int64_t request_id, const StoredMail& m);
  Result<void> index_request(std::int64_t id, bool remove);
  Result<void> build_search_index(const std::function<void(std::int64_t done, std::int64_t total)>& progress);
  // Off, this connection stores mail without indexing it, as a database before schema 7 did: the
  // control of the benchmark that measures what the index costs at ingest (bench/search.sh).
  // Nothing else turns it off; what is stored meanwhile is missing from search.
  void set_search_indexing(bool on);
  bool search_indexing() const;

  // guichet's own values (schema 0006, `settings`).
  Result<std::optional<std::string>> setting(const std::string& key);
  Result<void> put_setting(const std::string& key, const std::string& value);

  struct Impl;  // opaque: the connection and its prepared statements

 private:
  Result<Statement*> impl_stmt(std::string_view sql);
  Result<void> update_request_row(std::int64_t id, const RequestChanges& changes, std::int64_t now);
  // The rights of a query as the index's terms ("" when the index cannot filter by them now).
  Result<std::string> index_scope(const SearchQuery& q);
  // The index's sorted vocabularies (fts5vocab), on this connection only (the temp schema: the
  // database file is not changed, a read-only connection has them too).
  Result<void> vocabulary();
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace guichet::store
