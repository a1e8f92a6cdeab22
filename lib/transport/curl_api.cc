#include "transport/curl_api.h"

#include "util/shared_library.h"

namespace guichet::transport {

namespace {

Result<CurlApi> load() {
  auto lib = SharedLibrary::open(GUICHET_CURL_SONAME, "libcurl4");
  if (!lib) return lib.error();
  CurlApi api;
  lib->bind(api.easy_init, "curl_easy_init");
  lib->bind(api.easy_setopt, "curl_easy_setopt");
  lib->bind(api.easy_perform, "curl_easy_perform");
  lib->bind(api.easy_getinfo, "curl_easy_getinfo");
  lib->bind(api.easy_send, "curl_easy_send");
  lib->bind(api.easy_recv, "curl_easy_recv");
  lib->bind(api.easy_cleanup, "curl_easy_cleanup");
  lib->bind(api.easy_strerror, "curl_easy_strerror");
  lib->bind(api.slist_append, "curl_slist_append");
  lib->bind(api.slist_free_all, "curl_slist_free_all");
  decltype(&::curl_global_init) global_init = nullptr;
  lib->bind(global_init, "curl_global_init");
  if (auto r = lib->bound(); !r) return r.error();
  // Before any handle, once: it is the one libcurl call that is not thread-safe.
  if (const CURLcode rc = global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK)
    return Error{Errc::software, std::string("curl_global_init failed: ") + api.easy_strerror(rc)};
  return api;
}

}  // namespace

const Result<CurlApi>& curl() {
  static const Result<CurlApi> api = load();  // C++11 statics: one thread loads, the others wait
  return api;
}

const char* failed_step(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return "resolve";
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_USE_SSL_FAILED:
      return "TLS";
    case CURLE_LOGIN_DENIED:
    case CURLE_AUTH_ERROR:
      return "login";
    default:
      return "connect";
  }
}

}  // namespace guichet::transport
