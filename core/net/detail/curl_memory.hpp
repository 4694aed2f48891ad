// libcurl's memory: the process's one curl_global_init, which gives libcurl an
// allocator of size-class free lists kept per thread (curl_global_init_mem).
// libcurl 7.88 makes ~44 short-lived allocations per transfer (most through calloc,
// which skips glibc's thread cache) and frees its 64 KiB receive buffer after
// each one; glibc spends ~12k instructions per 1 KiB request on that. Here an
// allocation or a free is a list pop or push.
#pragma once

#include <cstddef>

namespace gfetch::net::detail {

// Before any other libcurl call of the process (a CURLU too): libcurl's memory
// functions must be set before it allocates anything. Thread-safe; idempotent.
// Sanitizer builds keep glibc's malloc for libcurl, so that LeakSanitizer sees
// libcurl's blocks; the allocator's own tests run there with poisoning.
void ensure_curl_initialised();

namespace curl_memory {

// The five functions curl_global_init_mem takes, with malloc's contracts: 16-byte
// aligned blocks, nullptr when out of memory, release(nullptr) does nothing, and
// a block may be released on any thread.
void* allocate(std::size_t size) noexcept;
void* allocate_zeroed(std::size_t count, std::size_t size) noexcept;
void* reallocate(void* block, std::size_t size) noexcept;
char* duplicate(const char* text) noexcept;
void release(void* block) noexcept;

// A block libcurl may free: from the allocator ensure_curl_initialised() gives it
// (glibc's in sanitizer builds). For the strings made for libcurl
// (net/detail/curl_strings.hpp).
void* allocate_as_libcurl(std::size_t size) noexcept;

// For tests: the bytes a block can hold without moving (at least what was asked),
// and whether a pointer lies in one of this allocator's class segments (false for
// its large blocks and for memory it did not make; walks the segments).
std::size_t capacity(const void* block) noexcept;
bool from_size_class(const void* block) noexcept;

}  // namespace curl_memory
}  // namespace gfetch::net::detail
