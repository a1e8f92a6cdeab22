#include "util/file_tree.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "util/shared_library.h"

namespace guichet {

namespace fs = std::filesystem;

namespace {

// libarchive's functions, from the library opened at the first .tar (util/shared_library.h says why
// guichet does not link it). Each pointer has the type of the function of the same name.
struct ArchiveApi {
  decltype(&::archive_write_new) write_new = nullptr;
  decltype(&::archive_write_set_format_pax_restricted) write_set_format_pax_restricted = nullptr;
  decltype(&::archive_write_open_filename) write_open_filename = nullptr;
  decltype(&::archive_error_string) error_string = nullptr;
  decltype(&::archive_write_free) write_free = nullptr;
  decltype(&::archive_entry_new) entry_new = nullptr;
  decltype(&::archive_entry_set_pathname_utf8) entry_set_pathname_utf8 = nullptr;
  decltype(&::archive_entry_set_size) entry_set_size = nullptr;
  decltype(&::archive_entry_set_filetype) entry_set_filetype = nullptr;
  decltype(&::archive_entry_set_perm) entry_set_perm = nullptr;
  decltype(&::archive_entry_set_mtime) entry_set_mtime = nullptr;
  decltype(&::archive_write_header) write_header = nullptr;
  decltype(&::archive_write_data) write_data = nullptr;
  decltype(&::archive_entry_free) entry_free = nullptr;
  decltype(&::archive_write_close) write_close = nullptr;
};

Result<ArchiveApi> load_archive() {
  auto lib = SharedLibrary::open(GUICHET_ARCHIVE_SONAME, "libarchive13");
  if (!lib) return lib.error();
  ArchiveApi api;
  lib->bind(api.write_new, "archive_write_new");
  lib->bind(api.write_set_format_pax_restricted, "archive_write_set_format_pax_restricted");
  lib->bind(api.write_open_filename, "archive_write_open_filename");
  lib->bind(api.error_string, "archive_error_string");
  lib->bind(api.write_free, "archive_write_free");
  lib->bind(api.entry_new, "archive_entry_new");
  lib->bind(api.entry_set_pathname_utf8, "archive_entry_set_pathname_utf8");
  lib->bind(api.entry_set_size, "archive_entry_set_size");
  lib->bind(api.entry_set_filetype, "archive_entry_set_filetype");
  lib->bind(api.entry_set_perm, "archive_entry_set_perm");
  lib->bind(api.entry_set_mtime, "archive_entry_set_mtime");
  lib->bind(api.write_header, "archive_write_header");
  lib->bind(api.write_data, "archive_write_data");
  lib->bind(api.entry_free, "archive_entry_free");
  lib->bind(api.write_close, "archive_write_close");
  if (auto r = lib->bound(); !r) return r.error();
  return api;
}

const Result<ArchiveApi>& libarchive() {
  static const Result<ArchiveApi> api = load_archive();
  return api;
}

}  // namespace

struct FileTree::Impl {
  std::string path, partial;
  bool tar = false;
  bool finished = false;
  archive* a = nullptr;

  ~Impl() {
    if (a) libarchive()->write_free(a);
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
    const auto& lib = libarchive();
    if (!lib) return Error{Errc::software, "cannot write " + path + ": " + lib.error().message};
    impl->a = lib->write_new();
    lib->write_set_format_pax_restricted(impl->a);
    if (lib->write_open_filename(impl->a, impl->partial.c_str()) != ARCHIVE_OK)
      return Error{Errc::io, "cannot write " + path + ": " + lib->error_string(impl->a)};
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
    if (!rel.empty()) rel += '/';
    rel += safe_name(std::string_view(name).substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (impl_->tar) {
    const ArchiveApi& api = *libarchive();  // loaded by create()
    archive_entry* e = api.entry_new();
    api.entry_set_pathname_utf8(e, rel.c_str());
    api.entry_set_size(e, static_cast<la_int64_t>(content.size()));
    api.entry_set_filetype(e, AE_IFREG);
    api.entry_set_perm(e, 0640);
    api.entry_set_mtime(e, std::time(nullptr), 0);
    const bool ok = api.write_header(impl_->a, e) == ARCHIVE_OK &&
                    api.write_data(impl_->a, content.data(), content.size()) == static_cast<la_ssize_t>(content.size());
    api.entry_free(e);
    if (!ok) return Error{Errc::io, "cannot write " + impl_->path + ": " + api.error_string(impl_->a)};
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
    const ArchiveApi& api = *libarchive();
    const bool ok = api.write_close(impl_->a) == ARCHIVE_OK;
    if (!ok) return Error{Errc::io, "cannot write " + impl_->path + ": " + api.error_string(impl_->a)};
    api.write_free(impl_->a);
    impl_->a = nullptr;
  }
  std::error_code ec;
  fs::rename(impl_->partial, impl_->path, ec);
  if (ec) return Error{Errc::io, "cannot put " + impl_->path + " in place: " + ec.message()};
  impl_->finished = true;
  return {};
}

}  // namespace guichet
