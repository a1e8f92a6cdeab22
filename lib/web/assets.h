// The web view's templates (etc/web/*.mustache, HTML-escaped) and stylesheet, compiled in
// (cmake/embed_files.cmake): the binary never reads them from disk.
#pragma once

#include <map>
#include <string>

namespace guichet::web {

const std::map<std::string, std::string>& web_files();

}  // namespace guichet::web
