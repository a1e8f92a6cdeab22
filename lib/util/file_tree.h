// Writing a set of files as a folder or as one .tar, for exports a person takes away (RGPD).
// The tar is written by libarchive (POSIX ustar/pax: UTF-8 names survive), the folder with
// ordinary files. Either way the result appears only once whole: the folder is written as
// PATH.partial and renamed, the tar likewise.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

namespace guichet {

class FileTree {
 public:
  // A .tar when `path` ends in ".tar", else a folder. Refuses a path that exists.
  static Result<FileTree> create(const std::string& path);
  FileTree(FileTree&&) noexcept;
  FileTree& operator=(FileTree&&) noexcept;
  FileTree(const FileTree&) = delete;
  FileTree& operator=(const FileTree&) = delete;
  ~FileTree();  // an unfinished tree is removed

  // `name`: a relative path with '/' between folders; each part is made safe (no "..", no '/').
  Result<void> add(const std::string& name, std::string_view content);
  // Finishes and puts the result in place.
  Result<void> finish();

  // A file or folder name made safe: no '/', no control characters, not "." or "..", at most 120 bytes.
  static std::string safe_name(std::string_view name);

 private:
  struct Impl;
  explicit FileTree(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace guichet
