// Raising RLIMIT_NOFILE and fitting --pool to it (see open_files.hpp).
#include "cmd/open_files.hpp"

#include <sys/resource.h>

#include <algorithm>

namespace gfetch::cli {

std::uint64_t files_needed(std::size_t pool, std::size_t files_per_fetch) noexcept {
  const std::uint64_t fetches = pool;
  return fetches * files_per_fetch + (fetches + 15) / 16 + kReservedFiles;
}

std::size_t pool_within(std::size_t pool, std::size_t files_per_fetch,
                        std::uint64_t limit) noexcept {
  if (files_needed(pool, files_per_fetch) <= limit) return pool;
  if (limit <= kReservedFiles) return 1;
  // files_needed is about pool * (files_per_fetch + 1/16) + reserved: start there,
  // then step to the exact largest fit.
  std::uint64_t fitting = (limit - kReservedFiles) * 16 / (16 * files_per_fetch + 1);
  while (fitting > 1 && files_needed(fitting, files_per_fetch) > limit) --fitting;
  while (fitting + 1 < pool && files_needed(fitting + 1, files_per_fetch) <= limit) ++fitting;
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(fitting, 1, pool));
}

std::optional<std::string> fit_open_file_limit(Options& options) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  const std::size_t per_fetch = options.output.output_dir ? 2 : 1;
  const std::uint64_t needed = files_needed(options.pool, per_fetch);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    rlimit raised = limit;
    raised.rlim_cur =
        limit.rlim_max == RLIM_INFINITY ? needed : std::min<rlim_t>(needed, limit.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) return std::nullopt;
  const std::size_t asked = options.pool;
  options.pool = pool_within(asked, per_fetch, limit.rlim_cur);
  return "--pool " + std::to_string(asked) + " lowered to " + std::to_string(options.pool) +
         ": at most " + std::to_string(limit.rlim_cur) +
         " files may be open (ulimit -n), and each fetch holds " +
         (per_fetch == 1 ? "a socket" : "a socket and a file");
}

}  // namespace gfetch::cli
