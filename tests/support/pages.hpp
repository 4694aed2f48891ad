// Bodies of the HttpServer's text routes as pure functions (no libevent), so the
// router stays glue and the pages can be checked on their own: the index, robots.txt,
// the two link sites for crawler tests, reason phrases and strict number parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace testing::detail {

// A whole decimal number with no sign, spaces or overflow; nullopt otherwise.
std::optional<std::uint64_t> parse_uint(std::string_view text);

// "OK", "Not Found", ...; "Status" for codes without a standard phrase.
const char* reason_phrase(int code);

std::string index_page();
std::string robots_txt();

// /links/N/I: page I of a full mesh of N pages (each links to all N).
// /tree/N/F/I: page I of an N-page tree of fan-out F (links to parent and children).
// `authority` ("host:port") is used for the absolute-URL form of some links.
std::string mesh_page(std::uint64_t n, std::uint64_t i, std::string_view authority);
std::string tree_page(std::uint64_t n, std::uint64_t fanout, std::uint64_t i,
                      std::string_view authority);

}  // namespace testing::detail
