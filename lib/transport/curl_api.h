// libcurl's functions, from the library opened the first time a mail server is spoken to
// (util/shared_library.h says why guichet does not link it).
#pragma once

#include <curl/curl.h>

#include "util/result.h"

namespace guichet::transport {

// Each pointer has the type libcurl's header gives the function of the same name.
struct CurlApi {
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;  // variadic, as in the header
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_send) easy_send = nullptr;
  decltype(&::curl_easy_recv) easy_recv = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
};

// libcurl, loaded and curl_global_init()ed once for the process (safe from any thread); the
// error says which library could not be loaded, and stays the answer: nothing installs it meanwhile.
const Result<CurlApi>& curl();

// Which step of reaching a server a failed connect-only perform stopped at: "resolve",
// "connect", "TLS" or "login" (for `guichet mailbox test` and `smtp test`).
const char* failed_step(CURLcode code);

}  // namespace guichet::transport
