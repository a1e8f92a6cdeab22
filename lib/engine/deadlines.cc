#include "engine/deadlines.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "engine/letters.h"
#include "mail/address.h"
#include "store/batch.h"
#include "util/json.h"
#include "util/local_time.h"
#include "util/strings.h"

namespace guichet::engine {

namespace {

using calendar::Date;
using store::RequestInfo;
using store::RequestStatus;

std::optional<Date> parse_date(const std::optional<std::string>& s) {
  if (!s || s->size() != 10) return std::nullopt;
  try {
    return Date{std::stoi(s->substr(0, 4)), std::stoi(s->substr(5, 2)), std::stoi(s->substr(8, 2))};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Recipient of(const directory::Agent& a) { return Recipient{a.email, a.first_name + " " + a.last_name, &a}; }

void add_unique(std::vector<Recipient>& to, const std::vector<Recipient>& more) {
  for (const auto& m : more) {
    const bool seen =
        std::any_of(to.begin(), to.end(), [&](const Recipient& r) { return iequals(r.address, m.address); });
    if (!seen && mail::valid_address(m.address)) to.push_back(m);
  }
}

bool awaiting_answer(const RequestInfo& r) {
  return r.status == RequestStatus::new_request || r.status == RequestStatus::open;
}

std::string agent_label(const RequestInfo& r, const directory::Directory* dir) {
  if (!r.agent) return "personne";
  if (dir)
    if (const auto* a = dir->agent(*r.agent)) return a->first_name + " " + a->last_name;
  return *r.agent;
}

}  // namespace

std::vector<Recipient> agent_of(const RequestInfo& r, const directory::Directory& dir) {
  if (!r.agent) return {};
  const auto* a = dir.agent(*r.agent);
  return a ? std::vector<Recipient>{of(*a)} : std::vector<Recipient>{};
}

std::vector<Recipient> head_of(const RequestInfo& r, const directory::Directory& dir) {
  if (!r.department) return {};
  const auto* h = dir.head_of(*r.department);
  return h ? std::vector<Recipient>{of(*h)} : std::vector<Recipient>{};
}

std::vector<Recipient> pilot_of(const directory::Directory& dir, const directory::Department* also) {
  std::vector<Recipient> out;
  for (const auto* p : dir.pilots()) {
    if (const auto* h = dir.agent(p->head))
      add_unique(out, {of(*h)});
    else
      add_unique(out, {Recipient{p->email, p->name, nullptr}});
  }
  // A department's own escalation addresses (a director, an élu's assistant).
  if (also)
    for (const auto& a : also->escalation) add_unique(out, {Recipient{a, "", dir.agent_by_address(a)}});
  return out;
}

std::vector<Owed> owed_for(const RequestInfo& r, const directory::Directory& dir, calendar::Region region, Date today) {
  std::vector<Owed> out;
  if (r.status == RequestStatus::closed || r.kind != "request") return out;
  const directory::Department* dep = r.department ? dir.department(*r.department) : nullptr;
  const Date received = calendar::local_date(r.received_at);
  const Date learned = calendar::local_date(r.created_at ? r.created_at : r.received_at);
  // `from`: the day it became owed.
  auto owe = [&](const char* kind, int level, Date due, Date from, const char* tpl, store::OutboxKind ok,
                 const std::vector<Recipient>& to, std::string subject, int late = 0) {
    const bool history = from < learned;
    if (history && std::string_view(kind) != "decision") return;
    std::vector<Recipient> unique;
    add_unique(unique, to);
    if (unique.empty() && !history) return;
    out.push_back(Owed{kind, level, due.iso(), tpl, ok, std::move(unique), std::move(subject), late, history});
  };
  const std::string about = r.subject.empty() ? std::string("(sans objet)") : r.subject;

  // Nobody can take it: the head at once, the pilot a working day later (invariant 3).
  const directory::Agent* agent = r.agent ? dir.agent(*r.agent) : nullptr;
  const bool unowned =
      !agent || (dir.is_absent(*agent, today) && !dir.assignee(agent->id, r.department.value_or(""), today));
  if (unowned && r.status != RequestStatus::waiting) {
    auto heads = head_of(r, dir);
    // A head who is the missing agent, or away too, cannot take it either.
    if (!heads.empty() && ((agent && heads.front().agent == agent) || dir.is_absent(*heads.front().agent, today)))
      heads.clear();
    if (!heads.empty())
      owe("no_owner", 1, received, learned, templates::kNoOwner, store::OutboxKind::escalation, heads,
          "Demande sans responsable : " + about);
    const Date second = heads.empty() ? learned : std::max(learned, calendar::add_working_days(received, 1, region));
    if (today >= second)
      owe("no_owner", 2, received, second, templates::kNoOwner, store::OutboxKind::escalation, pilot_of(dir),
          "Demande sans responsable : " + about);
  }

  // The department's response target.
  if (auto due = parse_date(r.response_due_on); due && awaiting_answer(r)) {
    const Date remind_on =
        dep ? calendar::before(*due, dep->remind_before, region) : calendar::sub_working_days(*due, 1, region);
    if (today >= remind_on && today <= *due)
      owe("response_reminder", 0, *due, remind_on, templates::kTargetReminder, store::OutboxKind::reminder,
          agent_of(r, dir), "R\xC3\xA9ponse attendue avant le " + calendar::french_date(*due) + " : " + about);
    const int late = calendar::working_days_between(*due, today, region);
    if (today > *due) {
      auto to = head_of(r, dir);
      if (to.empty()) to = pilot_of(dir);
      owe("response_escalation", 1, *due, calendar::add_days(*due, 1), templates::kEscalation,
          store::OutboxKind::escalation, to, "D\xC3\xA9lai de r\xC3\xA9ponse d\xC3\xA9pass\xC3\xA9 : " + about, late);
    }
    const Date second = dep ? calendar::deemed_decision_date(*due, dep->escalate_after, region)
                            : calendar::add_working_days(*due, 2, region);
    if (today >= second && today > *due)
      owe("response_escalation", 2, *due, second, templates::kEscalation, store::OutboxKind::escalation,
          pilot_of(dir, dep), "D\xC3\xA9lai de r\xC3\xA9ponse d\xC3\xA9pass\xC3\xA9 : " + about, late);
  }

  // R112-11-2: the full acknowledgement within ten working days of a registration receipt.
  if (!r.full_ack_at && r.silence == "none" && awaiting_answer(r)) {
    const Date due = calendar::add_working_days(received, 10, region);
    const Date d7 = calendar::add_working_days(received, 7, region),
               d9 = calendar::add_working_days(received, 9, region);
    if (today >= d7 && today <= due)
      owe("full_ack", 0, due, d7, templates::kFullAckReminder, store::OutboxKind::reminder, agent_of(r, dir),
          "Accus\xC3\xA9 de r\xC3\xA9"
          "ception \xC3\xA0 envoyer avant le " +
              calendar::french_date(due));
    if (today >= d9 && today <= due)
      owe("full_ack", 1, due, d9, templates::kFullAckReminder, store::OutboxKind::escalation, head_of(r, dir),
          "Accus\xC3\xA9 de r\xC3\xA9"
          "ception \xC3\xA0 envoyer avant le " +
              calendar::french_date(due));
  }

  // The deemed decision: two weeks and three working days before, then on the day.
  if (auto dd = parse_date(r.deemed_decision_on); dd && r.silence != "none" && !r.suspended_since && !r.decided_at) {
    std::vector<Recipient> to = head_of(r, dir);
    add_unique(to, pilot_of(dir));
    const std::string subject =
        "D\xC3\xA9"
        "cision implicite le " +
        calendar::french_date(*dd) + " : " + about;
    const Date two_weeks = calendar::add_days(*dd, -14), three_days = calendar::sub_working_days(*dd, 3, region);
    if (today >= two_weeks && today < *dd)
      owe("deemed_alert", 1, *dd, two_weeks, templates::kDecisionAlert, store::OutboxKind::escalation, to, subject);
    if (today >= three_days && today < *dd)
      owe("deemed_alert", 2, *dd, three_days, templates::kDecisionAlert, store::OutboxKind::escalation, to, subject);
    if (today >= *dd) {
      std::vector<Recipient> told = agent_of(r, dir);
      add_unique(told, head_of(r, dir));
      if (told.empty()) told = pilot_of(dir);
      owe("decision", 0, *dd, *dd, templates::kDecisionReached, store::OutboxKind::escalation, told,
          "D\xC3\xA9"
          "cision implicite n\xC3\xA9"
          "e : " +
              about);
    }
  }
  return out;
}

namespace {

templates::Data recipient_data(const Recipient& to) {
  templates::Data d;
  if (to.agent) {
    d.set("first_name", to.agent->first_name);
    d.set("last_name", to.agent->last_name);
    d.set("title", to.agent->title);
  }
  d.set("email", to.address);
  return d;
}

// One mail of a reminder, to one recipient.
Result<void> send_reminder(store::Store& store, const RequestInfo& r, const Owed& o, const Recipient& to,
                           const IngestOptions& options, std::int64_t now) {
  const Date today = calendar::local_date(now);
  auto body = render_letter(o.template_name, r, options, [&](templates::Data& d) {
    d.set("recipient", recipient_data(to));
    d.set("agent_name", agent_label(r, options.directory));
    d.set("days_late", std::to_string(o.days_late));
    d.set("days_open", std::to_string(std::max(0, calendar::days_between(calendar::local_date(r.received_at), today))));
    if (auto due = parse_date(o.due_on)) d.set("due_date", calendar::french_date(*due));
    if (r.relances > 0)
      d.set("relances", std::to_string(r.relances));
    else
      d.set("relances", false);
    d.set("level", std::to_string(o.level));
    if (o.kind == "no_owner")
      d.set("reason", r.agent ? "l'agent charg\xC3\xA9, " + agent_label(r, options.directory) +
                                    ", est absent sans rempla\xC3\xA7"
                                    "ant"
                              : std::string("aucun agent ne lui est confi\xC3\xA9"));
  });
  if (!body) return body.error();
  if (to.agent) {
    ToAgent m;
    m.kind = o.outbox_kind;
    m.subject = o.subject;
    m.body = std::move(*body);
    m.reply = answer_token(r, *to.agent);  // the agent, the head, the pilot may answer at once
    auto sent = mail_agent(store, r, *to.agent, std::move(m), options, now);
    if (!sent) return sent.error();
    return {};
  }
  auto sent = mail_address(store, r, mail::Address{to.name, to.address}, o.outbox_kind, o.subject, std::move(*body),
                           options, now);
  if (!sent) return sent.error();
  return {};
}

std::string key_of(std::int64_t id, const std::string& kind, int level, const std::string& due) {
  return std::to_string(id) + " " + kind + " " + std::to_string(level) + " " + due;
}

nlohmann::json addresses(const std::vector<Recipient>& to) {
  auto j = nlohmann::json::array();
  for (const auto& r : to) j.push_back(r.address);
  return j;
}

}  // namespace

Result<DeadlineRun> run_deadlines(store::Store& store, const IngestOptions& options, std::int64_t now, bool dry_run) {
  DeadlineRun run;
  if (!options.directory) return run;
  const directory::Directory& dir = *options.directory;
  const Date today = calendar::local_date(now);
  auto existing = store.reminder_keys();
  if (!existing) return existing.error();
  std::unordered_set<std::string> done(existing->begin(), existing->end());
  // A thousand open requests at a time: what is owed, then its writes (store/batch.h). Memory
  // stays flat whatever the number of requests, and no read cursor is open while writing.
  store::Batch batch(store);
  for (std::int64_t after = 0;;) {
    auto chunk = store.open_requests_after(after, 1000);
    if (!chunk) return chunk.error();
    if (chunk->empty()) break;
    after = chunk->back().id;
    for (const auto& r : *chunk) {
      std::vector<Owed> owed;
      for (auto& o : owed_for(r, dir, options.region, today))
        if (!done.count(key_of(r.id, o.kind, o.level, o.due_on))) owed.push_back(std::move(o));
      if (owed.empty()) continue;
      auto line = [&](const Owed& o) {
        std::string to;
        for (const auto& t : o.to) to += (to.empty() ? "" : ", ") + t.address;
        return r.reference + " " + o.kind + " " + std::to_string(o.level) + " (" + o.due_on + ") to " + to;
      };
      if (dry_run) {
        for (const auto& o : owed) run.lines.push_back("would send " + line(o));
        continue;
      }
      // Each row with its mails, in the batch's transaction (store/batch.h): one fsync per batch.
      if (auto b = batch.begin(); !b) return b.error();
      for (const auto& o : owed) {
        auto fresh = store.add_reminder(r.id, o.kind, o.level, o.due_on, dump_json(addresses(o.to)), now);
        if (!fresh) return fresh.error();
        if (!*fresh) continue;  // another process wrote it first
        if (options.outgoing.enabled && !o.silent) {
          for (const auto& to : o.to) {
            if (auto s = send_reminder(store, r, o, to, options, now); !s) return s.error();
            ++run.mails;
          }
        }
        nlohmann::json detail{{"kind", o.kind}, {"level", o.level}, {"due_on", o.due_on}, {"to", addresses(o.to)}};
        if (o.kind == "decision") {
          // The implicit decision is born (L231-1, L231-4): recorded, with what it is.
          store::RequestChanges c;
          c.decided_at = std::optional<std::int64_t>(now);
          if (auto u = store.update_request(r.id, c, now); !u) return u.error();
          if (auto e = store.add_event(r.id, std::nullopt, now, "guichet", "decision_implicite",
                                       dump_json(nlohmann::json{{"outcome", r.silence}, {"on", o.due_on}}));
              !e)
            return e.error();
          ++run.decisions;
        }
        if (auto e = store.add_event(r.id, std::nullopt, now, "guichet", "reminder", dump_json(detail)); !e)
          return e.error();
        ++run.reminders;
        run.lines.push_back("sent " + line(o));
      }
      if (batch.add()) {
        if (auto c = batch.commit(); !c) return c.error();
      }
    }
    if (auto c = batch.commit(); !c) return c.error();
  }
  return run;
}

Result<void> relance_alert(store::Store& store, const RequestInfo& r, const IngestOptions& options, std::int64_t now) {
  if (!options.directory) return {};
  Owed o;
  o.kind = "relance";
  o.level = r.relances;
  o.due_on = calendar::local_date(now).iso();
  o.template_name = templates::kReminder;
  o.outbox_kind = store::OutboxKind::reminder;
  add_unique(o.to, agent_of(r, *options.directory));
  add_unique(o.to, head_of(r, *options.directory));
  if (o.to.empty()) o.to = pilot_of(*options.directory);
  o.subject = "Le demandeur relance : " + (r.subject.empty() ? std::string("(sans objet)") : r.subject);
  auto fresh = store.add_reminder(r.id, o.kind, o.level, o.due_on, dump_json(addresses(o.to)), now);
  if (!fresh) return fresh.error();
  if (!*fresh || !options.outgoing.enabled) return {};
  for (const auto& to : o.to)
    if (auto s = send_reminder(store, r, o, to, options, now); !s) return s;
  return {};
}

namespace {

struct Audience {
  Recipient to;
  std::string scope;
  std::vector<std::string> departments;  // empty: the whole commune
  std::vector<std::string> tags;
};

std::vector<Audience> audiences(const directory::Directory& dir) {
  std::vector<Audience> out;
  auto find = [&](const std::string& address) -> Audience* {
    for (auto& a : out)
      if (iequals(a.to.address, address)) return &a;
    return nullptr;
  };
  for (const auto& r : pilot_of(dir)) out.push_back(Audience{r, "de la commune", {}, {}});
  for (const auto& d : dir.departments()) {
    const auto* head = dir.agent(d.head);
    if (!head || d.pilot) continue;
    if (Audience* a = find(head->email)) {
      if (a->departments.empty() && a->scope == "de la commune") continue;  // the pilot sees all already
      a->departments.push_back(d.id);
      a->scope += ", " + d.name;
      continue;
    }
    out.push_back(Audience{of(*head), "du service " + d.name, {d.id}, {}});
  }
  for (const auto& e : dir.elus()) {
    if (find(e.email)) continue;
    Audience a{Recipient{e.email, e.name, nullptr},
               e.departments.empty() && e.tags.empty() ? "de la commune" : "que vous suivez", e.departments, e.tags};
    out.push_back(std::move(a));
  }
  return out;
}

bool in_scope(const RequestInfo& r, const Audience& a) {
  if (a.departments.empty() && a.tags.empty()) return true;
  for (const auto& d : a.departments)
    if (r.department && *r.department == d) return true;
  for (const auto& t : a.tags)
    if (r.tags_json.find("\"" + t + "\"") != std::string::npos) return true;
  return false;
}

}  // namespace

namespace {

// One list of a digest: its requests (most urgent first where it says so), of which the first
// defaults::digest_list_max are written out; the count says how many there are in all.
struct Section {
  const char* name;
  std::vector<std::pair<const RequestInfo*, int>> items;  // with the sort key: larger first
};

}  // namespace

Result<std::vector<Digest>> compose_digests(store::Store& store, const IngestOptions& options,
                                            const config::Deadlines& deadlines, std::int64_t now,
                                            const std::function<bool(const Recipient&)>& wanted) {
  std::vector<Digest> out;
  if (!options.directory || !options.templates) return out;
  const directory::Directory& dir = *options.directory;
  const Date today = calendar::local_date(now);
  const Date tomorrow = calendar::add_working_days(today, 1, options.region);
  const Date since = calendar::sub_working_days(today, 1, options.region);
  std::string more_link;
  if (options.config && !options.config->web.base_url.empty()) more_link = options.config->web.base_url + "/vue";
  auto open = store.open_requests();
  if (!open) return open.error();
  for (const auto& aud : audiences(dir)) {
    if (wanted && !wanted(aud.to)) continue;
    Section overdue{"overdue", {}}, due{"due", {}}, relances{"relances", {}}, unanswered{"unanswered", {}},
        fresh{"new", {}};
    int count = 0;
    for (const auto& r : *open) {
      if (!in_scope(r, aud)) continue;
      const Date received = calendar::local_date(r.received_at);
      bool listed = false;
      if (auto d = parse_date(r.response_due_on); d && awaiting_answer(r)) {
        if (*d < today)
          overdue.items.emplace_back(&r, calendar::working_days_between(*d, today, options.region)), listed = true;
        else if (*d <= tomorrow)
          due.items.emplace_back(&r, 0), listed = true;
      }
      if (r.relances > 0 && awaiting_answer(r)) relances.items.emplace_back(&r, r.relances), listed = true;
      const int days_open = calendar::days_between(received, today);
      if (!r.first_answer_at && days_open > deadlines.unanswered_days)
        unanswered.items.emplace_back(&r, days_open), listed = true;
      if (received >= since && received < today) fresh.items.emplace_back(&r, 0), listed = true;
      count += listed;
    }
    // What a reader acts on first: the latest, the most chased, the longest unanswered. A whole
    // commune's backlog (an import of old mail) would make a digest of thousands of lines, a
    // mail nobody reads on a phone and megabytes composed for each reader: the count says all.
    auto entry = [&](const RequestInfo& r) {
      templates::Data e;
      e.set("reference", r.reference);
      e.set("subject", r.subject.empty() ? std::string("(sans objet)") : r.subject);
      e.set("resident_name", r.requester.name.empty() ? r.requester.address : r.requester.name);
      e.set("agent_name", agent_label(r, &dir));
      e.set("channel", r.channel == "email" ? std::string("courriel") : r.channel);
      const Date received = calendar::local_date(r.received_at);
      e.set("received_date", calendar::french_date(received));
      e.set("days_open", std::to_string(calendar::days_between(received, today)));
      e.set("relances", std::to_string(r.relances));
      if (auto d = parse_date(r.response_due_on)) {
        e.set("due_date", calendar::french_date(*d));
        e.set("days_late", std::to_string(calendar::working_days_between(*d, today, options.region)));
      }
      return e;
    };
    templates::Data g;
    g.set("scope", aud.scope);
    g.set("unanswered_days", std::to_string(deadlines.unanswered_days));
    g.set("any", !overdue.items.empty() || !due.items.empty() || !relances.items.empty());
    for (Section* section : {&overdue, &due, &relances, &unanswered, &fresh}) {
      auto& items = section->items;
      std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
      const size_t shown = std::min(items.size(), static_cast<size_t>(defaults::digest_list_max));
      kainjow::mustache::list l;
      for (size_t i = 0; i < shown; ++i) l.push_back(entry(*items[i].first));
      const std::string name = section->name;
      g.set(name, l);
      if (items.empty())
        g.set(name + "_count", false);
      else
        g.set(name + "_count", std::to_string(items.size()));
      if (items.size() > shown)
        g.set(name + "_more", std::to_string(items.size() - shown));
      else
        g.set(name + "_more", false);
    }
    if (!more_link.empty()) g.set("link", more_link);
    templates::Data data;
    data.set("commune", options.commune);
    data.set("today", calendar::french_date(today));
    data.set("count", std::to_string(count));
    data.set("digest", g);
    auto text = options.templates->render(templates::kDigest, data);
    if (!text) return text.error();
    out.push_back(Digest{aud.to, aud.scope, std::move(*text), count});
  }
  return out;
}

Result<DeadlineRun> send_digests(store::Store& store, const IngestOptions& options, const config::Deadlines& deadlines,
                                 std::int64_t now, bool dry_run) {
  DeadlineRun run;
  const LocalTime t = local_time(now);
  const Date today{t.year, t.month, t.day};
  if (deadlines.digest_minute < 0 || !calendar::is_working_day(today, options.region) ||
      t.hour * 60 + t.minute < deadlines.digest_minute)
    return run;
  // Only those not sent yet today are composed: a restart's catch-up costs nothing.
  std::optional<Error> failed;
  auto digests = compose_digests(store, options, deadlines, now, [&](const Recipient& to) {
    auto sent_today = store.has_digest(to.address, today.iso());
    if (!sent_today) failed = sent_today.error();
    return sent_today && !*sent_today;
  });
  if (failed) return *failed;
  if (!digests) return digests.error();
  std::string from = options.outgoing.fallback_from;
  if (options.config)
    for (const auto& mb : options.config->mailboxes)
      if (from.empty() && !mb.address.empty()) from = mb.address;
  for (auto& d : *digests) {
    // compose_digests skipped those sent today; add_digest below catches another process's.
    if (dry_run) {
      run.lines.push_back("would send the digest " + d.scope + " to " + d.to.address);
      continue;
    }
    auto tx = store.transaction();
    if (!tx) return tx.error();
    std::optional<std::int64_t> outbox_id;
    if (options.outgoing.enabled && mail::valid_address(from)) {
      mail::Outgoing out;
      out.from = mail::Address{"guichet " + options.commune, from};
      out.to = mail::Address{d.to.name, d.to.address};
      out.subject = "[guichet] Les demandes " + d.scope + " au " + calendar::french_date(today);
      out.auto_submitted = "auto-generated";
      out.body = d.text;
      auto q =
          queue_mail(store, store::OutboxKind::digest, std::nullopt, std::move(out), options.outgoing.retry_hours, now);
      if (!q) return q.error();
      outbox_id = q->outbox_id;
    }
    auto fresh = store.add_digest(d.to.address, today.iso(), outbox_id, now);
    if (!fresh) return fresh.error();
    if (!*fresh) continue;  // another process sent it first: this one rolls back
    if (auto c = tx->commit(); !c) return c.error();
    ++run.digests;
    run.lines.push_back("sent the digest " + d.scope + " to " + d.to.address);
  }
  return run;
}

}  // namespace guichet::engine
