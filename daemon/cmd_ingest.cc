// guichet ingest [--mailbox NAME] [--json] [--dry-run] [PATH|-]...
//
// Imports mail from .eml files, mbox files, Maildir folders and folders of files, or one message
// on standard input (an MTA pipe: `| guichet ingest --mailbox urbanisme`). Each message becomes a
// request or is recorded as a duplicate. Pipe mode: exit 0 once stored (a duplicate too), 75
// (EX_TEMPFAIL) when it could not be stored so that the MTA keeps the mail and retries; malformed
// mail is never refused: it is stored raw with its problems.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include "commands.h"
#include "engine/ingest.h"
#include "engine/token_key.h"
#include "store/batch.h"
#include "mail/message_json.h"
#include "transport/mail_files.h"
#include "util/failpoint.h"

namespace guichet::cli {

namespace {

struct Options {
  std::vector<std::string> paths;
  std::string mailbox;
  bool json = false;
  bool dry_run = false;
};

const char* pad_kind(engine::Decision::Kind k) {
  switch (k) {
    case engine::Decision::Kind::new_request:
      return "new      ";
    case engine::Decision::Kind::attach:
      return "attached ";
    case engine::Decision::Kind::duplicate:
      return "duplicate";
  }
  return "?        ";
}

struct Reported {
  engine::Outcome outcome;
  std::string location;
};

class Importer {
 public:
  // An import commits in batches (store/batch.h): nothing is reported as stored before its batch
  // is committed.
  Importer(Context& ctx, const Options& opt, engine::IngestOptions options)
      : ctx_(ctx), opt_(opt), options_(std::move(options)), batch_(*ctx.store) {
    if (!opt.mailbox.empty() && !ctx.config.mailbox(opt.mailbox))
      spdlog::warn("mailbox \"{}\" is not in the configuration: its mail gets no default department", opt.mailbox);
    options_.dry_run = opt.dry_run;
  }

  Result<void> add(transport::RawMail&& mail, const std::string& kind) {
    if (!opt_.dry_run) {
      if (auto r = batch_.begin(); !r) return r;
    }
    store::Source src{opt_.mailbox.empty() ? kind : opt_.mailbox, mail.location, ""};
    auto out = engine::ingest(*ctx_.store, mail.bytes, src, options_, *ctx_.clock);
    if (!out) return out.error();
    spdlog::info("{} {}: {} {} (Message-ID {})", src.mailbox, mail.location, threading::kind_name(out->kind),
                 out->reference, out->message_id);
    pending_.push_back(Reported{std::move(*out), std::move(mail.location)});
    if (!opt_.dry_run ? batch_.add() : pending_.size() >= 1000) return flush();
    return {};
  }

  Result<void> flush() {
    if (batch_.open()) {
      // Test hook: the commit fails as on a full disk; the batch must roll back and be reported.
      if (failpoint_active("ingest.commit")) return Error{Errc::temp_fail, "database commit: failpoint ingest.commit"};
      if (auto r = batch_.commit(); !r) return r;
    }
    for (const auto& r : pending_) print(r);
    pending_.clear();
    return {};
  }

  // Messages decided but not committed when an error stopped the run.
  size_t lost_batch() const { return pending_.size(); }
  int created() const { return created_; }
  int attached() const { return attached_; }
  int duplicates() const { return duplicates_; }
  int with_problems() const { return with_problems_; }

 private:
  void print(const Reported& r) {
    const auto& o = r.outcome;
    if (o.kind == engine::Decision::Kind::new_request) ++created_;
    else if (o.kind == engine::Decision::Kind::attach) ++attached_;
    else ++duplicates_;
    if (!o.problems.empty()) ++with_problems_;
    if (opt_.json) {
      nlohmann::ordered_json j;
      j["location"] = r.location;
      j["outcome"] = threading::kind_name(o.kind);
      j["action"] = engine::action_name(o.action);
      j["reference"] = o.reference.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.reference);
      j["message_id"] = o.message_id.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(o.message_id);
      j["from"] = mail::address_json(o.from);
      j["subject"] = o.subject;
      j["matched_by"] = o.matched_by;
      j["linked_to"] = o.linked_to ? nlohmann::ordered_json(*o.linked_to) : nlohmann::ordered_json(nullptr);
      j["relance"] = o.relance;
      j["reopened"] = o.reopened;
      j["department"] = o.department ? nlohmann::ordered_json(*o.department) : nlohmann::ordered_json(nullptr);
      j["agent"] = o.agent ? nlohmann::ordered_json(*o.agent) : nlohmann::ordered_json(nullptr);
      j["rules"] = o.rules;
      j["problems"] = o.problems;
      j["lines"] = o.lines;
      j["dry_run"] = opt_.dry_run;
      print_json(j, false);
    } else {
      std::cout << (o.reference.empty() ? std::string("-") : o.reference) << "  "
                << pad_kind(o.kind) << "  "
                << (o.from.address.empty() ? "(no sender)" : o.from.address) << "  " << o.subject
                << (o.matched_by == "new" ? "" : "  (" + o.matched_by + ")")
                << (o.problems.empty() ? "" : "  [" + std::to_string(o.problems.size()) + " problem(s)]") << "\n";
    }
  }

  Context& ctx_;
  const Options& opt_;
  engine::IngestOptions options_;
  store::Batch batch_;
  std::vector<Reported> pending_;
  int created_ = 0, attached_ = 0, duplicates_ = 0, with_problems_ = 0;
};

int run(Context& ctx, const Options& opt) {
  std::vector<std::string> paths = opt.paths;
  if (paths.empty()) paths.push_back("-");
  // Refuse unreadable paths before importing anything: a half import is harder to reason about.
  for (const auto& p : paths) {
    std::error_code ec;
    if (p != "-" && !std::filesystem::exists(p, ec)) return report(Error{Errc::no_input, p + ": no such file or directory"});
  }
  // The token key is created at the first write (never by a dry run).
  auto options = engine::prepare_ingest(*ctx.store, *ctx.setup, opt.mailbox, !opt.dry_run);
  if (!options) return report(Error{Errc::temp_fail, options.error().message});
  Importer importer(ctx, opt, std::move(*options));
  for (const auto& p : paths) {
    Result<void> r;
    if (p == "-") {
      auto in = transport::read_stdin();
      // A read error on the pipe is the MTA's to retry.
      if (!in) return report(Error{Errc::temp_fail, in.error().message});
      r = importer.add(transport::RawMail{std::move(*in), "stdin"}, "stdin");
    } else {
      r = transport::read_mail_path(p, [&](transport::RawMail&& m) { return importer.add(std::move(m), "file"); });
    }
    if (r) r = importer.flush();
    if (!r) {
      if (importer.lost_batch() > 0)
        std::cerr << "guichet: " << importer.lost_batch() << " message(s) of the last batch were not stored\n";
      std::cerr << "guichet: stored " << importer.created() + importer.attached() + importer.duplicates()
                << " message(s) before the error\n";
      return report(r.error());
    }
  }
  if (!opt.json) {
    std::cerr << (opt.dry_run ? "dry run: " : "") << importer.created() << " new request(s), "
              << importer.attached() << " attached to a request, " << importer.duplicates() << " duplicate(s)";
    if (importer.with_problems() > 0) std::cerr << ", " << importer.with_problems() << " with decoding problems";
    std::cerr << "\n";
  }
  return 0;
}

}  // namespace

Command add_ingest(CLI::App& app) {
  auto opt = std::make_shared<Options>();
  Command c;
  c.app = app.add_subcommand("ingest", "Store mail from files, mbox, Maildir folders or standard input");
  c.app->add_option("paths", opt->paths, ".eml or mbox files, Maildir or plain folders; - (default) for stdin");
  c.app->add_option("--mailbox", opt->mailbox, "the configured mailbox this mail arrived in");
  c.app->add_flag("--json", opt->json, "one JSON object per message (docs/json.md)");
  c.app->add_flag("--dry-run", opt->dry_run, "decide and print, write nothing");
  c.needs = Needs::routing;
  c.run = [opt](Context& ctx) {
    try {
      return run(ctx, *opt);
    } catch (const std::exception& e) {
      // Whatever broke, the mail in the pipe was not stored: the MTA must keep it and retry.
      return report(Error{Errc::temp_fail, std::string("internal error, nothing stored: ") + e.what()});
    }
  };
  return c;
}

}  // namespace guichet::cli
