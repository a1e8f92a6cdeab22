#include "transport/mail_files.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <vector>

namespace guichet::transport {

namespace fs = std::filesystem;

namespace {

bool is_maildir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p / "cur", ec) && fs::is_directory(p / "new", ec);
}

Result<std::string> read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Error{Errc::no_input, p.string() + ": cannot read"};
  std::error_code ec;
  auto size = fs::file_size(p, ec);
  std::string data;
  if (!ec) {
    data.resize(size);
    in.read(data.data(), static_cast<std::streamsize>(size));
    data.resize(static_cast<size_t>(in.gcount()));
  }
  // A file still growing (or a size we could not read) is read to its end.
  data.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) return Error{Errc::io, p.string() + ": read error"};
  return data;
}

std::vector<fs::path> sorted_files(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec) && e.path().filename().string()[0] != '.') files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool starts_mbox(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  char head[5] = {};
  in.read(head, 5);
  return in.gcount() == 5 && std::string_view(head, 5) == "From ";
}

bool is_from_line(std::string_view line) { return line.substr(0, 5) == "From "; }

Result<void> read_one_file(const fs::path& p, const MailSink& sink) {
  if (starts_mbox(p)) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return Error{Errc::no_input, p.string() + ": cannot read"};
    return split_mbox(in, p.string(), sink);
  }
  auto data = read_file(p);
  if (!data) return data.error();
  return sink(RawMail{std::move(*data), p.string()});
}

}  // namespace

Result<void> split_mbox(std::istream& in, const std::string& name, const MailSink& sink) {
  std::string current;
  bool have = false;
  bool previous_blank = true;
  int count = 0;
  auto emit = [&]() -> Result<void> {
    if (!have) return {};
    // The empty line before a separator belongs to the mbox format, not to the message.
    if (current.size() >= 2 && current.compare(current.size() - 2, 2, "\n\n") == 0) current.pop_back();
    else if (current.size() >= 4 && current.compare(current.size() - 4, 4, "\r\n\r\n") == 0) current.resize(current.size() - 2);
    ++count;
    auto r = sink(RawMail{std::move(current), name + "#" + std::to_string(count)});
    current.clear();
    return r;
  };
  std::string line;
  while (std::getline(in, line)) {
    bool had_newline = !in.eof();
    std::string_view content = line;
    if (!content.empty() && content.back() == '\r') content.remove_suffix(1);
    if (previous_blank && is_from_line(content)) {
      if (auto r = emit(); !r) return r;
      have = true;
      previous_blank = false;
      continue;
    }
    previous_blank = content.empty();
    if (!have) continue;  // garbage before the first separator
    // mboxrd: ">From " -> "From ", ">>From " -> ">From ".
    size_t gt = 0;
    while (gt < line.size() && line[gt] == '>') ++gt;
    if (gt > 0 && std::string_view(line).substr(gt, 5) == "From ") line.erase(0, 1);
    current += line;
    if (had_newline) current += '\n';
  }
  if (in.bad()) return Error{Errc::io, name + ": read error"};
  return emit();
}

Result<void> read_mail_path(const std::string& path, const MailSink& sink) {
  fs::path p(path);
  std::error_code ec;
  if (!fs::exists(p, ec)) return Error{Errc::no_input, path + ": no such file or directory"};
  if (fs::is_directory(p, ec)) {
    if (is_maildir(p)) {
      for (const char* sub : {"new", "cur"}) {
        for (const auto& f : sorted_files(p / sub)) {
          auto data = read_file(f);
          if (!data) return data.error();
          if (auto r = sink(RawMail{std::move(*data), f.string()}); !r) return r;
        }
      }
      return {};
    }
    for (const auto& f : sorted_files(p)) {
      if (auto r = read_one_file(f, sink); !r) return r;
    }
    return {};
  }
  return read_one_file(p, sink);
}

Result<std::string> read_stdin() {
  std::ostringstream ss;
  ss << std::cin.rdbuf();
  if (std::cin.bad()) return Error{Errc::io, "standard input: read error"};
  return ss.str();
}

Result<std::string> read_one(const std::string& path) {
  if (path == "-") return read_stdin();
  // Sized once from the file's length: a stream copy through a stringbuf was 5 % of a Maildir poll.
  return read_file(path);
}

}  // namespace guichet::transport
