// SHA-256 through OpenSSL's libcrypto (already a dependency of libcurl on Debian).
#pragma once

#include <string>
#include <string_view>

namespace guichet {

// Lower-case hexadecimal digest.
std::string sha256_hex(std::string_view data);

}  // namespace guichet
