// Mail from local files: single messages (.eml), mbox files, Maildir folders, plain folders of
// .eml files, and standard input. Used by `guichet ingest` to import a town's history and by the
// MTA pipe (`| guichet ingest`). Read-only: nothing here moves or changes a file.
//
// mbox: "From " separator lines (at the start, or after an empty line), mboxrd unquoting (one ">"
// removed from ">From ", ">>From "…, which also undoes mboxo quoting); CRLF files are accepted.
// Maildir: new/ then cur/, each in file-name order (delivery time first); tmp/ is never read.
#pragma once

#include <functional>
#include <string>

#include "util/result.h"

namespace guichet::transport {

struct RawMail {
  std::string bytes;
  std::string location;  // path, "path#N" for the Nth message of an mbox, or "stdin"
};

using MailSink = std::function<Result<void>(RawMail&&)>;

// Feeds every message found at `path` to `sink`, in order, stopping at the first sink error.
// An unreadable path is Errc::no_input.
Result<void> read_mail_path(const std::string& path, const MailSink& sink);

// Splits mbox text into messages (for tests and small inputs; read_mail_path streams).
Result<void> split_mbox(std::istream& in, const std::string& name, const MailSink& sink);

Result<std::string> read_stdin();
// One message: a file's bytes, or standard input for "-". Errc::no_input when unreadable.
Result<std::string> read_one(const std::string& path);

}  // namespace guichet::transport
