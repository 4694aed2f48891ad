// Greenlet stacks: mmap'd with a guard page below, pooled for reuse. A stack's
// untouched pages cost no memory, so the default can be generous while a parked
// greenlet still costs only the pages it actually used. A pool maps its new stacks
// 64 at a time where the kernel can put guard pages into one mapping (Linux 6.13's
// MADV_GUARD_INSTALL), else one mapping and one PROT_NONE guard per stack.
#pragma once

#include <cstddef>
#include <vector>

namespace green {

struct Stack {
  void* base = nullptr;  // lowest usable address (just above the guard page)
  std::size_t size = 0;  // usable bytes, excluding the guard page
  void* top() const { return static_cast<char*>(base) + size; }
};

class StackPool {
 public:
  // `stack_size` is rounded up to whole pages; `max_pooled` bounds the free list.
  explicit StackPool(std::size_t stack_size, std::size_t max_pooled = 1024);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // Throws std::system_error naming the cause (ENOMEM: see vm.max_map_count).
  Stack allocate();
  void release(Stack stack) noexcept;

  std::size_t stack_size() const { return stack_size_; }
  std::size_t pooled() const { return free_.size(); }
  // Stacks mapped ahead in the current batch, not handed out yet.
  std::size_t unused_in_batch() const { return batch_left_; }

  static constexpr std::size_t kStacksPerBatch = 64;

  static std::size_t page_size();
  // Default greenlet stack: 64 KiB, 256 KiB under AddressSanitizer.
  static std::size_t default_stack_size();

 private:
  // Maps the next batch; false where guard pages cannot be installed in it.
  bool map_batch();

  std::size_t stack_size_;
  std::size_t max_pooled_;
  std::vector<Stack> free_;
  char* batch_next_ = nullptr;  // the next stack's guard page
  std::size_t batch_left_ = 0;
};

// Maps one stack with a guard page; release with unmap_stack (which also releases
// a stack carved from a pool's batch).
Stack map_stack(std::size_t size);
void unmap_stack(Stack stack) noexcept;

// True when `address` lies in the guard page of any stack mapped by this thread's
// pools; used by the stack-overflow handler to tell overflow from other faults.
bool is_guard_page_address(const void* address) noexcept;

// Makes a SIGSEGV on a guard page print "stack overflow" before the process dies
// (chaining to any previous handler). Idempotent; each Hub calls it.
void install_stack_overflow_handler();

}  // namespace green
