// green::StackPool: stacks carved from batch mappings (where the kernel installs
// guard pages inside one mapping) or mapped one by one; every stack is usable to
// its last byte with a guard page right below it that faults; released stacks are pooled up
// to the limit and unmapped beyond it; the pool unmaps what it never handed out.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "green/stack.hpp"

namespace {

// Whether any page of [address, address + size) is mapped (msync fails with
// ENOMEM on an unmapped range).
bool is_mapped(const void* address, std::size_t size) {
  void* page = const_cast<void*>(address);
  return msync(page, size, MS_ASYNC) == 0 || errno != ENOMEM;
}

}  // namespace

TEST_CASE("every pooled stack is writable to its ends, with a guard page below it", "[stack]") {
  const std::size_t page = green::StackPool::page_size();
  green::StackPool pool(16 * 1024);
  std::vector<green::Stack> stacks;
  for (int i = 0; i < 3; ++i) stacks.push_back(pool.allocate());
  for (const green::Stack& stack : stacks) {
    REQUIRE(stack.size == 16 * 1024);
    std::memset(stack.base, 0xa5, stack.size);  // every usable byte
    const char* base = static_cast<const char*>(stack.base);
    CHECK(green::is_guard_page_address(base - 1));
    CHECK(green::is_guard_page_address(base - page));
    CHECK_FALSE(green::is_guard_page_address(base));
    CHECK_FALSE(green::is_guard_page_address(base + stack.size - 1));
  }
  if (pool.unused_in_batch() > 0) {
    // Carved from one batch: each stack's guard sits right above the one before.
    CHECK(pool.unused_in_batch() == green::StackPool::kStacksPerBatch - 3);
    for (std::size_t i = 1; i < stacks.size(); ++i) {
      CHECK(static_cast<char*>(stacks[i].base) == static_cast<char*>(stacks[i - 1].top()) + page);
    }
  }
  for (const green::Stack& stack : stacks) pool.release(stack);
  CHECK(pool.pooled() == 3);
  // Pooled stacks come back, most recent first, before any new one is carved.
  const std::size_t unused = pool.unused_in_batch();
  CHECK(pool.allocate().base == stacks.back().base);
  CHECK(pool.unused_in_batch() == unused);
}

TEST_CASE("a stack released beyond the pool's limit is unmapped with its guard", "[stack]") {
  const std::size_t page = green::StackPool::page_size();
  green::StackPool pool(16 * 1024, /*max_pooled=*/1);
  green::Stack kept = pool.allocate();
  green::Stack dropped = pool.allocate();
  pool.release(kept);
  pool.release(dropped);
  CHECK(pool.pooled() == 1);
  CHECK(is_mapped(kept.base, kept.size));
  CHECK_FALSE(is_mapped(static_cast<char*>(dropped.base) - page, dropped.size + page));
  CHECK_FALSE(green::is_guard_page_address(static_cast<char*>(dropped.base) - 1));
  CHECK(green::is_guard_page_address(static_cast<char*>(kept.base) - 1));
}

TEST_CASE("a pool unmaps the rest of its batch when it goes", "[stack]") {
  const std::size_t page = green::StackPool::page_size();
  char* rest = nullptr;
  std::size_t rest_bytes = 0;
  {
    green::StackPool pool(16 * 1024);
    green::Stack first = pool.allocate();
    if (pool.unused_in_batch() == 0) SUCCEED("no batches on this kernel: stacks are mapped alone");
    rest = static_cast<char*>(first.top());
    rest_bytes = pool.unused_in_batch() * (16 * 1024 + page);
    if (rest_bytes > 0) CHECK(is_mapped(rest, rest_bytes));
    pool.release(first);
  }
  if (rest_bytes > 0) CHECK_FALSE(is_mapped(rest, rest_bytes));
}

TEST_CASE("writing just below any pooled stack faults", "[stack]") {
  for (int index : {0, 2}) {  // a batch's first stack (guarded by its probe) and another
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      signal(SIGSEGV, SIG_DFL);
      green::StackPool pool(16 * 1024);
      green::Stack stack{};
      for (int i = 0; i <= index; ++i) stack = pool.allocate();
      static_cast<volatile char*>(stack.base)[-1] = 1;
      _exit(0);  // not reached: the guard page faults
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    INFO("stack " << index);
    CHECK(WIFSIGNALED(status));
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV));
  }
}
