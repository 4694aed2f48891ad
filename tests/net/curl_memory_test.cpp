// libcurl's allocator (net/detail/curl_memory.hpp): malloc's contracts in every
// size class and past the largest, blocks recycled on their thread and adopted
// from threads that exited, calloc zeroing recycled memory, realloc keeping
// content, and the installation into libcurl itself.
#include "net/detail/curl_memory.hpp"

#include <curl/curl.h>
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#if defined(GREEN_SANITIZE_ADDRESS)
#include <sanitizer/asan_interface.h>
#endif

namespace mem = gfetch::net::detail::curl_memory;

namespace {

bool aligned16(const void* p) {
  return reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
}

void fill(void* p, std::size_t n, unsigned char seed) {
  auto* bytes = static_cast<unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) bytes[i] = static_cast<unsigned char>(seed + i * 7);
}

bool holds(const void* p, std::size_t n, unsigned char seed) {
  const auto* bytes = static_cast<const unsigned char*>(p);
  for (std::size_t i = 0; i < n; ++i) {
    if (bytes[i] != static_cast<unsigned char>(seed + i * 7)) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("every size gets an aligned block of at most 6.25% slack, reused once freed") {
  for (std::size_t size = 0; size <= 300 * 1024; size += (size < 4096 ? 1 : 997)) {
    void* block = mem::allocate(size);
    REQUIRE(block != nullptr);
    REQUIRE(aligned16(block));
    const std::size_t room = mem::capacity(block);
    REQUIRE(room >= size);
    if (mem::from_size_class(block) && size > 256) REQUIRE(room <= size * 17 / 16);
    REQUIRE(mem::from_size_class(block) == (size <= 256 * 1024));
    fill(block, size, 3);
    REQUIRE(holds(block, size, 3));
    mem::release(block);
    if (size <= 256 * 1024) {
      void* again = mem::allocate(size);
      REQUIRE(again == block);  // the freed block, from this thread's list
      mem::release(again);
    }
  }
}

TEST_CASE("live blocks never overlap") {
  std::vector<std::pair<unsigned char*, std::size_t>> live;
  for (std::size_t size : {1u, 16u, 17u, 100u, 1000u, 1320u, 5490u, 65537u}) {
    for (int i = 0; i < 50; ++i) {
      auto* block = static_cast<unsigned char*>(mem::allocate(size));
      fill(block, size, static_cast<unsigned char>(live.size()));
      live.emplace_back(block, size);
    }
  }
  for (std::size_t i = 0; i < live.size(); ++i) {
    CHECK(holds(live[i].first, live[i].second, static_cast<unsigned char>(i)));
    mem::release(live[i].first);
  }
}

TEST_CASE("allocate_zeroed zeroes a recycled block and checks count * size for overflow") {
  void* dirty = mem::allocate(1320);
  std::memset(dirty, 0xAB, 1320);
  mem::release(dirty);
  auto* zeroed = static_cast<unsigned char*>(mem::allocate_zeroed(4, 330));
  REQUIRE(zeroed == dirty);
  for (std::size_t i = 0; i < 1320; ++i) REQUIRE(zeroed[i] == 0);
  mem::release(zeroed);

  auto* large = static_cast<unsigned char*>(mem::allocate_zeroed(1, 512 * 1024));
  REQUIRE(large != nullptr);
  REQUIRE_FALSE(mem::from_size_class(large));
  REQUIRE(large[0] == 0);
  REQUIRE(large[512 * 1024 - 1] == 0);
  mem::release(large);

  REQUIRE(mem::allocate_zeroed(SIZE_MAX / 2, 3) == nullptr);
  REQUIRE(mem::allocate(SIZE_MAX - 8) == nullptr);
}

TEST_CASE("reallocate keeps the content, in place while it fits") {
  auto* block = static_cast<unsigned char*>(mem::reallocate(nullptr, 40));
  REQUIRE(block != nullptr);
  fill(block, 40, 9);
  const std::size_t room = mem::capacity(block);
  REQUIRE(mem::reallocate(block, room) == block);  // libcurl's dynbufs grow like this
  REQUIRE(holds(block, 40, 9));

  std::size_t size = 40;
  for (std::size_t next : {100u, 1000u, 70000u, 300000u, 600000u, 5000u, 33u}) {
    auto* moved = static_cast<unsigned char*>(mem::reallocate(block, next));
    REQUIRE(moved != nullptr);
    REQUIRE(holds(moved, std::min(size, next), 9));
    fill(moved, next, 9);
    REQUIRE(mem::from_size_class(moved) == (next <= 256 * 1024));
    block = moved;
    size = next;
  }
  REQUIRE(mem::capacity(block) < 128);  // a big shrink moves to a small class
  mem::release(block);
}

TEST_CASE("duplicate copies the string with its terminator") {
  char* copy = mem::duplicate("gfetch/0.1.0");
  REQUIRE(std::strcmp(copy, "gfetch/0.1.0") == 0);
  mem::release(copy);
  mem::release(nullptr);
}

TEST_CASE("a block may be freed on another thread, and an exited thread's blocks are adopted") {
  void* made_here = mem::allocate(777);
  void* made_there = nullptr;
  void* freed_there = nullptr;
  std::thread worker([&] {
    mem::release(made_here);
    made_there = mem::allocate(200 * 1024);
    freed_there = mem::allocate(150 * 1024);
    mem::release(freed_there);  // stays on the worker's list until it exits
  });
  worker.join();
  REQUIRE(made_there != nullptr);
  mem::release(made_there);
  // This thread's own free blocks of the class come first; then the depot's. A
  // block the worker kept would never come back, and a carved one is new.
  std::vector<void*> taken;
  bool adopted = false;
  while (!adopted && taken.size() < 64) {
    taken.push_back(mem::allocate(150 * 1024));
    adopted = taken.back() == freed_there;
  }
  REQUIRE(adopted);
  for (void* block : taken) mem::release(block);
}

TEST_CASE("an exited thread's uncarved rest of a segment is carved by the next thread") {
  // 240 KiB blocks: no other thread of the tests uses their class, and a 1 MiB
  // segment holds four. One thread carves the first block of a new segment and
  // keeps it; the rest goes to the depot when the thread exits, and a second
  // thread carves its next blocks there. A lost rest would cost a new segment.
  constexpr std::size_t kSize = 240 * 1024;
  void* first = nullptr;
  void* second = nullptr;
  void* third = nullptr;
  std::thread([&] { first = mem::allocate(kSize); }).join();
  std::thread([&] {
    second = mem::allocate(kSize);
    third = mem::allocate(kSize);
  }).join();
  REQUIRE(first != nullptr);
  CHECK(second == static_cast<char*>(first) + mem::capacity(first));
  CHECK(third == static_cast<char*>(second) + mem::capacity(second));
  for (void* block : {first, second, third}) mem::release(block);
}

TEST_CASE("random allocate, reallocate and release keep every block's content") {
  std::mt19937 random(12345);
  struct Live {
    unsigned char* block;
    std::size_t size;
    unsigned char seed;
  };
  std::vector<Live> live;
  for (int op = 0; op < 20000; ++op) {
    const unsigned choice = random() % 3;
    const std::size_t size = random() % 4 == 0 ? random() % 300000 : random() % 2000;
    if (choice == 0 || live.empty()) {
      auto* block = static_cast<unsigned char*>(mem::allocate(size));
      const auto seed = static_cast<unsigned char>(op);
      fill(block, size, seed);
      live.push_back({block, size, seed});
    } else {
      const std::size_t index = random() % live.size();
      Live& item = live[index];
      REQUIRE(holds(item.block, item.size, item.seed));
      if (choice == 1) {
        item.block = static_cast<unsigned char*>(mem::reallocate(item.block, size));
        REQUIRE(holds(item.block, std::min(size, item.size), item.seed));
        fill(item.block, size, item.seed);
        item.size = size;
      } else {
        mem::release(item.block);
        live[index] = live.back();
        live.pop_back();
      }
    }
  }
  for (const Live& item : live) {
    REQUIRE(holds(item.block, item.size, item.seed));
    mem::release(item.block);
  }
}

#if defined(GREEN_SANITIZE_ADDRESS)
TEST_CASE(
    "under AddressSanitizer a block is addressable only as far as asked, and not once freed") {
  auto* block = static_cast<char*>(mem::allocate(100));
  REQUIRE(mem::capacity(block) > 100);
  REQUIRE_FALSE(__asan_address_is_poisoned(block + 99));
  REQUIRE(__asan_address_is_poisoned(block + 100));
  mem::release(block);
  REQUIRE(__asan_address_is_poisoned(block + 8));  // its first 8 bytes link the free list
}
#endif

TEST_CASE("libcurl allocates through it once initialised (glibc's under sanitizers)") {
  gfetch::net::detail::ensure_curl_initialised();
  CURLU* url = curl_url();
  REQUIRE(url != nullptr);
#if defined(GREEN_SANITIZE_ADDRESS)
  SUCCEED("sanitizer build: libcurl keeps glibc's malloc so LeakSanitizer sees its blocks");
#else
  REQUIRE(mem::from_size_class(url));
#endif
  REQUIRE(curl_url_set(url, CURLUPART_URL, "http://127.0.0.1:8080/a/b?c", 0) == CURLUE_OK);
  char* path = nullptr;
  REQUIRE(curl_url_get(url, CURLUPART_PATH, &path, 0) == CURLUE_OK);
  REQUIRE(std::strcmp(path, "/a/b") == 0);
  curl_free(path);
  curl_url_cleanup(url);
}
