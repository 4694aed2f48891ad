// The two halves of net::parse_url, apart so that tests can compare them: the
// hand-written fast path for canonical URLs and libcurl's CURLU parse, which is
// the reference and the fallback. parse_url tries the first, then the second.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "net/url.hpp"

namespace gfetch::net::detail {

// The Url libcurl would give, when `text` is a canonical http(s) URL: scheme http or
// https in any case, then "://", an ASCII host name or dotted-quad IPv4 address, an
// optional port 1-65535 without leading zeros, then an optional path and non-empty
// query of characters libcurl keeps as they are, with no "." or ".." segment. With
// default_scheme "http" or "https", the same without "scheme://". Empty whenever it
// is not certain, and never a rejection: the caller then asks parse_url_curl.
std::optional<Url> parse_url_fast(std::string_view text, std::string_view default_scheme = {});

// parse_url(text, layout) into `url`, whose strings must be empty: built in place,
// with no string moved (the client's fetch state holds the Url it fetches).
void parse_url_into(std::string_view text, const UrlLayout& layout, Url& url);

// parse_url on libcurl's CURLU alone.
std::optional<Url> parse_url_curl(std::string_view text, std::string* why = nullptr,
                                  std::string_view default_scheme = {});

}  // namespace gfetch::net::detail
