// libcurl's allocator (see net/detail/curl_memory.hpp). Blocks up to 256 KiB come
// in 176 size classes (16-byte steps to 256 bytes, then sixteen per doubling: at
// most 6.25% slack), carved from 1 MiB segments aligned to 1 MiB whose first
// bytes name their class, so a block needs no header: freeing one masks its
// address. A thread carves blocks from a segment of its own and keeps the blocks
// it frees on its own list per class, both without a lock; a shared depot hands
// out segments and keeps what exited threads leave. Larger blocks are glibc's,
// placed at a fixed offset in an aligned region of their own.
// Segments are kept for the process's life: after a burst they are reused.
#include "net/detail/curl_memory.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "net/detail/curl_inet_ntop.hpp"
#include "net/detail/curl_sscanf.hpp"
#include "net/detail/curl_strings.hpp"

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

constexpr std::size_t kSegmentSize = std::size_t{1} << 20;  // and alignment
constexpr std::size_t kFirstBlock = 128;                    // a class segment's header comes first
constexpr std::size_t kLargeOffset = 64;  // a large block's payload, in its region
constexpr std::size_t kMinBlock = 16;     // room for the free-list link; alignment
constexpr std::size_t kLargestBlock = 256 * 1024;
constexpr unsigned kSmallClasses = 16;  // blocks of 16..256 bytes, in steps of 16
constexpr unsigned kClassesPerDoubling = 16;
constexpr unsigned kClasses = kSmallClasses + (18 - 8) * kClassesPerDoubling;  // to 2^18

// At the start of every 1 MiB-aligned region this allocator makes.
struct RegionHeader {
  std::uint32_t size_class;  // kLargeClass: one large block at kLargeOffset
  std::size_t large_size;
  RegionHeader* next_segment;  // class segments: the one made before (see Depot)
};
constexpr std::uint32_t kLargeClass = UINT32_MAX;
static_assert(sizeof(RegionHeader) <= kLargeOffset);

struct FreeBlock {
  FreeBlock* next;  // the only bytes of a free block that stay addressable
};

RegionHeader* region_of(const void* block) noexcept {
  return reinterpret_cast<RegionHeader*>(reinterpret_cast<std::uintptr_t>(block) &
                                         ~(kSegmentSize - 1));
}

bool is_large(const void* block) noexcept {
  return (reinterpret_cast<std::uintptr_t>(block) & (kSegmentSize - 1)) == kLargeOffset;
}

// The class of a block of `size` bytes (16 <= size <= 2^18).
unsigned class_of(std::size_t size) noexcept {
  if (size <= 256) return static_cast<unsigned>((size - 1) / 16);
  const unsigned power = 63u - static_cast<unsigned>(__builtin_clzll(size - 1));  // 2^p < size
  // Steps of 2^(power-4): a shift, not a division by a variable.
  return kSmallClasses + (power - 8) * kClassesPerDoubling +
         static_cast<unsigned>((size - (std::size_t{1} << power) - 1) >> (power - 4));
}

std::size_t block_size(unsigned size_class) noexcept {
  if (size_class < kSmallClasses) return (size_class + 1) * 16;
  const unsigned power = 8 + (size_class - kSmallClasses) / kClassesPerDoubling;
  const unsigned steps = (size_class - kSmallClasses) % kClassesPerDoubling + 1;
  return (std::size_t{1} << power) + steps * (std::size_t{1} << (power - 4));
}

void* aligned_region(std::size_t size) noexcept {
  void* region = nullptr;
  if (posix_memalign(&region, kSegmentSize, size) != 0) return nullptr;
  return region;
}

// A thread's free blocks, and the rest of the segment it carves each class from
// (no lock: the depot is asked only when a range runs out). Constant-initialised
// and trivially destructible, so an access is a plain TLS load with no guard;
// what a thread leaves at its exit goes to the depot through its Donor.
struct ThreadCache {
  FreeBlock* free[kClasses];
  char* carve_next[kClasses];
  char* carve_end[kClasses];
};
thread_local ThreadCache t_cache{};

// The uncarved rest of a segment that an exited thread was carving, linked
// through its own first bytes (any range holds a block, so 16 bytes).
struct SpareRange {
  SpareRange* next;
  char* end;
};

// Shared, under its mutex: the blocks and uncarved ranges of threads that have
// exited, and the list of every class segment.
struct Depot {
  std::mutex mutex;
  FreeBlock* free[kClasses]{};
  SpareRange* spare[kClasses]{};
  RegionHeader* segments = nullptr;  // every class segment, newest first
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
      while (FreeBlock* block = t_cache.free[c]) {
        t_cache.free[c] = block->next;
        block->next = shared.free[c];
        shared.free[c] = block;
      }
      char* rest = t_cache.carve_next[c];
      if (static_cast<std::size_t>(t_cache.carve_end[c] - rest) >= block_size(c)) {
        auto* range = reinterpret_cast<SpareRange*>(rest);
        GFETCH_UNPOISON(range, sizeof *range);
        range->next = shared.spare[c];
        range->end = t_cache.carve_end[c];
        shared.spare[c] = range;
      }
      t_cache.carve_next[c] = t_cache.carve_end[c] = nullptr;
    }
  }
};
thread_local Donor t_donor;

// The thread's carving range for `size_class` ran out: a block from the depot (a
// dead thread's free blocks, then its uncarved rest), else a new segment to carve.
[[gnu::noinline, gnu::cold]] void* refill_from_depot(unsigned size_class,
                                                     std::size_t size) noexcept {
  t_donor.armed = true;  // registers the exit hook of this thread, once
  Depot& shared = depot();
  std::lock_guard<std::mutex> lock(shared.mutex);
  if (FreeBlock* adopted = shared.free[size_class]) {  // all of them: rarely any
    shared.free[size_class] = nullptr;
    t_cache.free[size_class] = adopted->next;
    return adopted;
  }
  char* start = nullptr;
  char* end = nullptr;
  if (SpareRange* range = shared.spare[size_class]) {
    shared.spare[size_class] = range->next;
    start = reinterpret_cast<char*>(range);
    end = range->end;
    GFETCH_POISON(range, sizeof *range);
  } else {
    char* segment = static_cast<char*>(aligned_region(kSegmentSize));
    if (segment == nullptr) return nullptr;
    auto* header = reinterpret_cast<RegionHeader*>(segment);
    header->size_class = size_class;
    header->large_size = 0;
    header->next_segment = shared.segments;
    shared.segments = header;
    GFETCH_POISON(segment + kFirstBlock, kSegmentSize - kFirstBlock);
    start = segment + kFirstBlock;
    end = segment + kSegmentSize;
  }
  t_cache.carve_next[size_class] = start + size;
  t_cache.carve_end[size_class] = end;
  return start;
}

// A block of `size_class` when the thread's free list is empty: carved from the
// thread's range. Kept out of line: inlined, its register saves would land on
// allocate's fast path.
[[gnu::noinline]] void* refill(unsigned size_class) noexcept {
  const std::size_t size = block_size(size_class);
  char* block = t_cache.carve_next[size_class];
  if (static_cast<std::size_t>(t_cache.carve_end[size_class] - block) < size) {
    return refill_from_depot(size_class, size);
  }
  t_cache.carve_next[size_class] = block + size;
  return block;
}

void* allocate_large(std::size_t size, bool zeroed) noexcept {
  if (size > SIZE_MAX - kLargeOffset - kSegmentSize) return nullptr;
  char* region = static_cast<char*>(aligned_region(kLargeOffset + size));
  if (region == nullptr) return nullptr;
  auto* header = reinterpret_cast<RegionHeader*>(region);
  header->size_class = kLargeClass;
  header->large_size = size;
  header->next_segment = nullptr;
  if (zeroed) std::memset(region + kLargeOffset, 0, size);
  return region + kLargeOffset;
}

}  // namespace

void* allocate(std::size_t size) noexcept {
  if (size > kLargestBlock) return allocate_large(size, false);
  const unsigned size_class = class_of(std::max(size, kMinBlock));
  void* block = t_cache.free[size_class];
  if (block != nullptr) {
    t_cache.free[size_class] = static_cast<FreeBlock*>(block)->next;
  } else {
    block = refill(size_class);
    if (block == nullptr) return nullptr;
  }
  GFETCH_UNPOISON(block, size);
  return block;
}

void* allocate_zeroed(std::size_t count, std::size_t size) noexcept {
  std::size_t total = 0;
  if (__builtin_mul_overflow(count, size, &total)) return nullptr;
  if (total > kLargestBlock) return allocate_large(total, true);
  void* block = allocate(total);
  if (block != nullptr) std::memset(block, 0, total);
  return block;
}

void release(void* block) noexcept {
  if (block == nullptr) return;
  RegionHeader* region = region_of(block);
  if (is_large(block)) {
    std::free(region);
    return;
  }
  const unsigned size_class = region->size_class;
  assert(size_class < kClasses && "curl_memory: a block this allocator did not make");
  GFETCH_POISON(block, block_size(size_class));
  GFETCH_UNPOISON(block, sizeof(FreeBlock));
  auto* free_block = static_cast<FreeBlock*>(block);
  free_block->next = t_cache.free[size_class];
  t_cache.free[size_class] = free_block;
}

std::size_t capacity(const void* block) noexcept {
  const RegionHeader* region = region_of(block);
  return is_large(block) ? region->large_size : block_size(region->size_class);
}

bool from_size_class(const void* block) noexcept {
  if (is_large(block)) return false;
  // Any pointer may be asked about (a test checks that libcurl's blocks are
  // ours): only this allocator's own segment headers are read.
  const RegionHeader* region = region_of(block);
  Depot& shared = depot();
  std::lock_guard<std::mutex> lock(shared.mutex);
  for (const RegionHeader* segment = shared.segments; segment != nullptr;
       segment = segment->next_segment) {
    if (segment == region) return true;
  }
  return false;
}

namespace {

// reallocate's way out of a block: out of line, so that growing in place (libcurl's
// buffers, mostly) saves no registers.
[[gnu::noinline]] void* move_block(void* block, std::size_t room, std::size_t size) noexcept {
  void* moved = allocate(size);
  if (moved == nullptr) return nullptr;  // the old block stays, as realloc's does
  GFETCH_UNPOISON(block, room);          // what lies past the caller's bytes is copied too
  std::memcpy(moved, block, std::min(room, size));
  release(block);
  return moved;
}

}  // namespace

void* reallocate(void* block, std::size_t size) noexcept {
  if (block == nullptr) return allocate(size);
  const std::size_t room = capacity(block);
  if (!is_large(block) && size <= room && size >= room / 4) {  // a big shrink moves
    GFETCH_POISON(block, room);
    GFETCH_UNPOISON(block, size);
    return block;
  }
  return move_block(block, room, size);
}

char* duplicate(const char* text) noexcept {
  const std::size_t size = std::strlen(text) + 1;
  auto* copy = static_cast<char*>(allocate(size));
  if (copy != nullptr) std::memcpy(copy, text, size);
  return copy;
}

}  // namespace curl_memory

void* curl_memory::allocate_as_libcurl(std::size_t size) noexcept {
#if defined(GREEN_SANITIZE_ADDRESS)
  return std::malloc(size);
#else
  return allocate(size);
#endif
}

void ensure_curl_initialised() {
  static const CURLcode init = [] {
    // Links gfetch's stand-ins for libcurl's string functions, status-line scan
    // and address formatting into every program that reaches libcurl through
    // here, and finds libcurl's own string functions first.
    curl_strings::originals();
    (void)curl_sscanf::counts();
    (void)curl_inet_ntop::counts();
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
