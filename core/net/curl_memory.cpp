// libcurl's allocator (see net/detail/curl_memory.hpp). A block is a 16-byte
// header and its payload. Blocks up to 256 KiB come in 176 size classes (16-byte
// steps to 256 bytes, then sixteen per doubling: at most 6.25% slack) and,
// once freed, wait on the freeing thread's list for their class; larger blocks
// are glibc's. Class memory is carved from 64 KiB+ chunks as it is first needed
// and kept for the process's life: after a burst it is reused, not returned.
#include "net/detail/curl_memory.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

#if defined(GREEN_SANITIZE_ADDRESS)
#include <sanitizer/asan_interface.h>
#define GFETCH_POISON(address, size) ASAN_POISON_MEMORY_REGION(address, size)
#define GFETCH_UNPOISON(address, size) ASAN_UNPOISON_MEMORY_REGION(address, size)
#else
#define GFETCH_POISON(address, size) ((void)(address), (void)(size))
#define GFETCH_UNPOISON(address, size) ((void)(address), (void)(size))
#endif

namespace gfetch::net::detail {
namespace curl_memory {
namespace {

constexpr std::uint32_t kSystemClass = UINT32_MAX;  // a glibc block
constexpr std::uint32_t kCheck = 0x6766'6d6d;       // "gfmm": catches foreign pointers
constexpr std::size_t kHeaderSize = 16;             // keeps payloads 16-byte aligned
constexpr std::size_t kMinPayload = 16;
constexpr std::size_t kLargestBlock = 256 * 1024;
constexpr unsigned kSmallClasses = 16;  // blocks of 16..256 bytes, in steps of 16
constexpr unsigned kClassesPerDoubling = 16;
constexpr unsigned kClasses = kSmallClasses + (18 - 8) * kClassesPerDoubling;  // to 2^18
constexpr std::size_t kMinChunk = 64 * 1024;

struct Header {
  std::uint32_t size_class;
  std::uint32_t check;
  union {
    Header* next;           // while free: the next free block of its class
    std::size_t requested;  // while in use: what the caller asked for
  };
};
static_assert(sizeof(Header) == kHeaderSize);

Header* header_of(const void* payload) noexcept {
  auto* header =
      reinterpret_cast<Header*>(static_cast<char*>(const_cast<void*>(payload)) - kHeaderSize);
  assert(header->check == kCheck && "curl_memory: a block this allocator did not make");
  return header;
}

void* payload_of(Header* header) noexcept {
  return reinterpret_cast<char*>(header) + kHeaderSize;
}

// The class of a block of `block` bytes (header included, 16 < block <= 2^18).
unsigned class_of(std::size_t block) noexcept {
  if (block <= 256) return static_cast<unsigned>((block - 1) / 16);
  const unsigned power = 63u - static_cast<unsigned>(__builtin_clzll(block - 1));  // 2^p < block
  const std::size_t step = std::size_t{1} << (power - 4);
  return kSmallClasses + (power - 8) * kClassesPerDoubling +
         static_cast<unsigned>((block - (std::size_t{1} << power) - 1) / step);
}

std::size_t block_size(unsigned size_class) noexcept {
  if (size_class < kSmallClasses) return (size_class + 1) * 16;
  const unsigned power = 8 + (size_class - kSmallClasses) / kClassesPerDoubling;
  const unsigned steps = (size_class - kSmallClasses) % kClassesPerDoubling + 1;
  return (std::size_t{1} << power) + steps * (std::size_t{1} << (power - 4));
}

// A thread's free blocks. Constant-initialised and trivially destructible, so an
// access is a plain TLS load with no guard; what a thread leaves at its exit goes
// to the depot through its Donor.
struct ThreadCache {
  Header* free[kClasses];
};
thread_local ThreadCache t_cache{};

// Shared, under its mutex: blocks of threads that have exited, and each class's
// unused end of its newest chunk. Chunks are listed so they stay reachable.
struct Depot {
  std::mutex mutex;
  Header* free[kClasses]{};
  char* carve_next[kClasses]{};
  char* carve_end[kClasses]{};
  void* chunks = nullptr;  // a list through each chunk's first word
};
Depot& depot() {
  static auto* instance = new Depot();  // never destroyed: threads may exit after main
  return *instance;
}

struct Donor {
  bool armed = false;
  ~Donor() {
    Depot& shared = depot();
    std::lock_guard<std::mutex> lock(shared.mutex);
    for (unsigned c = 0; c < kClasses; ++c) {
      while (Header* header = t_cache.free[c]) {
        t_cache.free[c] = header->next;
        header->next = shared.free[c];
        shared.free[c] = header;
      }
    }
  }
};
thread_local Donor t_donor;

// A fresh block of `size_class` from the depot: a dead thread's, or carved.
Header* refill(unsigned size_class) noexcept {
  t_donor.armed = true;  // registers the exit hook of this thread, once
  Depot& shared = depot();
  std::lock_guard<std::mutex> lock(shared.mutex);
  if (Header* adopted = shared.free[size_class]) {  // all of them: rarely any
    shared.free[size_class] = nullptr;
    t_cache.free[size_class] = adopted->next;
    return adopted;
  }
  const std::size_t size = block_size(size_class);
  if (shared.carve_next[size_class] == shared.carve_end[size_class]) {
    const std::size_t chunk_size = kHeaderSize + std::max(kMinChunk / size, std::size_t{4}) * size;
    char* chunk = static_cast<char*>(std::malloc(chunk_size));
    if (chunk == nullptr) return nullptr;
    std::memcpy(chunk, &shared.chunks, sizeof(void*));
    shared.chunks = chunk;
    GFETCH_POISON(chunk + kHeaderSize, chunk_size - kHeaderSize);
    shared.carve_next[size_class] = chunk + kHeaderSize;
    shared.carve_end[size_class] = chunk + chunk_size;
  }
  auto* header = reinterpret_cast<Header*>(shared.carve_next[size_class]);
  shared.carve_next[size_class] += size;
  GFETCH_UNPOISON(header, kHeaderSize);
  header->size_class = size_class;
  header->check = kCheck;
  return header;
}

void* hand_out(Header* header, std::size_t size) noexcept {
  header->requested = size;
  void* payload = payload_of(header);
  GFETCH_UNPOISON(payload, size);
  return payload;
}

void* allocate_system(std::size_t size, bool zeroed) noexcept {
  if (size > SIZE_MAX - kHeaderSize) return nullptr;
  void* memory = zeroed ? std::calloc(1, size + kHeaderSize) : std::malloc(size + kHeaderSize);
  if (memory == nullptr) return nullptr;
  auto* header = static_cast<Header*>(memory);
  header->size_class = kSystemClass;
  header->check = kCheck;
  header->requested = size;
  return payload_of(header);
}

}  // namespace

void* allocate(std::size_t size) noexcept {
  if (size > kLargestBlock - kHeaderSize) return allocate_system(size, false);
  const unsigned size_class = class_of(std::max(size, kMinPayload) + kHeaderSize);
  Header* header = t_cache.free[size_class];
  if (header != nullptr) {
    t_cache.free[size_class] = header->next;
  } else {
    header = refill(size_class);
    if (header == nullptr) return nullptr;
  }
  return hand_out(header, size);
}

void* allocate_zeroed(std::size_t count, std::size_t size) noexcept {
  std::size_t total = 0;
  if (__builtin_mul_overflow(count, size, &total)) return nullptr;
  if (total > kLargestBlock - kHeaderSize) return allocate_system(total, true);
  void* payload = allocate(total);
  if (payload != nullptr) std::memset(payload, 0, total);
  return payload;
}

void release(void* block) noexcept {
  if (block == nullptr) return;
  Header* header = header_of(block);
  if (header->size_class == kSystemClass) {
    std::free(header);
    return;
  }
  GFETCH_POISON(block, block_size(header->size_class) - kHeaderSize);
  header->next = t_cache.free[header->size_class];
  t_cache.free[header->size_class] = header;
}

void* reallocate(void* block, std::size_t size) noexcept {
  if (block == nullptr) return allocate(size);
  Header* header = header_of(block);
  const std::size_t held = header->requested;
  if (header->size_class == kSystemClass) {
    if (size > kLargestBlock - kHeaderSize && size <= SIZE_MAX - kHeaderSize) {
      auto* moved = static_cast<Header*>(std::realloc(header, size + kHeaderSize));
      if (moved == nullptr) return nullptr;
      moved->requested = size;
      return payload_of(moved);
    }
  } else {
    const std::size_t room = block_size(header->size_class) - kHeaderSize;
    if (size <= room && size >= room / 4) {  // grows in place; a big shrink moves
      GFETCH_POISON(block, room);
      return hand_out(header, size);
    }
  }
  void* moved = allocate(size);
  if (moved == nullptr) return nullptr;  // the old block stays, as realloc's does
  std::memcpy(moved, block, std::min(held, size));
  release(block);
  return moved;
}

char* duplicate(const char* text) noexcept {
  const std::size_t size = std::strlen(text) + 1;
  auto* copy = static_cast<char*>(allocate(size));
  if (copy != nullptr) std::memcpy(copy, text, size);
  return copy;
}

std::size_t capacity(const void* block) noexcept {
  const Header* header = header_of(block);
  if (header->size_class == kSystemClass) return header->requested;
  return block_size(header->size_class) - kHeaderSize;
}

bool from_size_class(const void* block) noexcept {
  return header_of(block)->size_class != kSystemClass;
}

}  // namespace curl_memory

void ensure_curl_initialised() {
  static const CURLcode init = [] {
#if defined(GREEN_SANITIZE_ADDRESS)
    return curl_global_init(CURL_GLOBAL_DEFAULT);
#else
    return curl_global_init_mem(CURL_GLOBAL_DEFAULT, curl_memory::allocate, curl_memory::release,
                                curl_memory::reallocate, curl_memory::duplicate,
                                curl_memory::allocate_zeroed);
#endif
  }();
  if (init != CURLE_OK) throw std::runtime_error("net: curl_global_init failed");
}

}  // namespace gfetch::net::detail
