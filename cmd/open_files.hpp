// The open-file limit a run needs. Every fetch in flight holds a socket (and, with
// -o, its body's file), so --pool 5000 needs ~5,000 descriptors where a shell
// usually allows 1,024 (ulimit -n). At start gfetch raises its soft limit as far
// as the pool needs, up to the hard limit (as nginx's worker_rlimit_nofile and
// Go's runtime do); a pool that still does not fit is lowered, with a warning,
// so that no URL fails for want of a descriptor.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "fetch/options.hpp"

namespace gfetch::cli {

// Descriptors a run holds whatever its pool: stdio, the input, the hub's epoll
// and timer, c-ares' sockets, spare for a redirect's new connection.
inline constexpr std::uint64_t kReservedFiles = 64;

// Descriptors a pool of `pool` fetches needs, `files_per_fetch` each (1, or 2
// with -o): libcurl also keeps a wake-up socketpair per multi handle, one multi
// per 32 or more transfers (net::Client), so 1 more per 16 fetches.
std::uint64_t files_needed(std::size_t pool, std::size_t files_per_fetch) noexcept;

// The largest pool, at most `pool` and at least 1, whose files_needed fits `limit`.
std::size_t pool_within(std::size_t pool, std::size_t files_per_fetch,
                        std::uint64_t limit) noexcept;

// Raises the soft RLIMIT_NOFILE to what `options` needs (never above the hard
// limit, never lowered) and lowers options.pool when even the hard limit is too
// low. Returns the warning to print then, naming --pool and the limit.
std::optional<std::string> fit_open_file_limit(Options& options);

}  // namespace gfetch::cli
