#include "util/file_tree.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace guichet {

namespace fs = std::filesystem;

struct FileTree::Impl {
  std::string path, partial;
  bool tar = false;
  bool finished = false;
  archive* a = nullptr;

  ~Impl() {
    if (a) archive_write_free(a);
    if (!finished) {
      std::error_code ec;
      fs::remove_all(partial, ec);
    }
  }
};

FileTree::FileTree(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FileTree::FileTree(FileTree&&) noexcept = default;
FileTree& FileTree::operator=(FileTree&&) noexcept = default;
FileTree::~FileTree() = default;

std::string FileTree::safe_name(std::string_view name) {
  std::string out;
  for (unsigned char c : name)
    out.push_back(c < 0x20 || c == 0x7f || c == '/' || c == '\\' ? '_' : static_cast<char>(c));
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  if (out.size() > 120) {
    size_t cut = 120;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;  // whole characters
    out.resize(cut);
  }
  return out;
}

Result<FileTree> FileTree::create(const std::string& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) return Error{Errc::usage, path + " exists already: name a new folder or .tar"};
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->partial = path + ".partial";
  impl->tar = path.size() > 4 && path.compare(path.size() - 4, 4, ".tar") == 0;
  fs::remove_all(impl->partial, ec);
  if (impl->tar) {
    impl->a = archive_write_new();
    archive_write_set_format_pax_restricted(impl->a);
    if (archive_write_open_filename(impl->a, impl->partial.c_str()) != ARCHIVE_OK)
      return Error{Errc::io, "cannot write " + path + ": " + archive_error_string(impl->a)};
  } else {
    fs::create_directories(impl->partial, ec);
    if (ec) return Error{Errc::io, "cannot create " + path + ": " + ec.message()};
  }
  return FileTree(std::move(impl));
}

Result<void> FileTree::add(const std::string& name, std::string_view content) {
  std::string rel;
  size_t start = 0;
  for (;;) {
    const size_t slash = name.find('/', start);
    rel += (rel.empty() ? "" : "/") + safe_name(std::string_view(name).substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (impl_->tar) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname_utf8(e, rel.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0640);
    archive_entry_set_mtime(e, std::time(nullptr), 0);
    const bool ok =
        archive_write_header(impl_->a, e) == ARCHIVE_OK &&
        archive_write_data(impl_->a, content.data(), content.size()) == static_cast<la_ssize_t>(content.size());
    archive_entry_free(e);
    if (!ok) return Error{Errc::io, "cannot write " + impl_->path + ": " + archive_error_string(impl_->a)};
    return {};
  }
  const fs::path target = fs::path(impl_->partial) / rel;
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  std::ofstream out(target, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) return Error{Errc::io, "cannot write " + target.string() + ": " + std::strerror(errno)};
  return {};
}

Result<void> FileTree::finish() {
  if (impl_->tar) {
    const bool ok = archive_write_close(impl_->a) == ARCHIVE_OK;
    if (!ok) return Error{Errc::io, "cannot write " + impl_->path + ": " + archive_error_string(impl_->a)};
    archive_write_free(impl_->a);
    impl_->a = nullptr;
  }
  std::error_code ec;
  fs::rename(impl_->partial, impl_->path, ec);
  if (ec) return Error{Errc::io, "cannot put " + impl_->path + " in place: " + ec.message()};
  impl_->finished = true;
  return {};
}

}  // namespace guichet
