// Stack mapping and pooling, plus the SIGSEGV handler that turns a hit on a guard
// page into a clear "stack overflow" message instead of silent corruption.
#include "green/stack.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <system_error>

#if defined(GREEN_SANITIZE_ADDRESS)
#include <sanitizer/asan_interface.h>
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102  // Linux 6.13: the range faults like PROT_NONE
#endif

namespace green {
namespace {

// Set once the kernel has refused MADV_GUARD_INSTALL (older than Linux 6.13).
std::atomic<bool> g_guard_install_refused{false};

// Guard pages of all live stacks, process-wide (the signal handler may run on any
// thread), keyed by their low address for O(log n) insert, erase and lookup.
std::mutex g_guard_mutex;
auto* g_guards = new std::map<const char*, const char*>();  // leaked on purpose

void remember_guard(const char* low, std::size_t size) {
  std::lock_guard<std::mutex> lock(g_guard_mutex);
  g_guards->emplace(low, low + size);
}

void forget_guard(const char* low) {
  std::lock_guard<std::mutex> lock(g_guard_mutex);
  g_guards->erase(low);
}

struct sigaction g_previous_segv {};

void on_segv(int signum, siginfo_t* info, void* context) {
  if (is_guard_page_address(info->si_addr)) {
    static const char message[] =
        "green: stack overflow in a greenlet (guard page hit); "
        "raise green::Hub::Options::stack_size\n";
    ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
    (void)ignored;
  }
  // Chain to whoever had SIGSEGV before (a test framework, a crash reporter), else
  // die of SIGSEGV with the default action (and a core dump).
  if (g_previous_segv.sa_flags & SA_SIGINFO) {
    g_previous_segv.sa_sigaction(signum, info, context);
    return;
  }
  if (g_previous_segv.sa_handler != SIG_DFL && g_previous_segv.sa_handler != SIG_IGN) {
    g_previous_segv.sa_handler(signum);
    return;
  }
  signal(signum, SIG_DFL);
  raise(signum);
}

}  // namespace

void install_stack_overflow_handler() {
  // Re-checked per hub: a test framework or crash reporter may have replaced it
  // since. Under ASan too: we print our message and chain to ASan's own report.
  struct sigaction current {};
  sigaction(SIGSEGV, nullptr, &current);
  if (!((current.sa_flags & SA_SIGINFO) && current.sa_sigaction == on_segv)) {
    struct sigaction action {};
    action.sa_sigaction = on_segv;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &g_previous_segv);
  }
  // The handler must run on an alternate stack: the faulting one is exhausted.
  stack_t installed{};
  sigaltstack(nullptr, &installed);
  if (installed.ss_flags & SS_DISABLE) {
    static thread_local char altstack[64 * 1024];
    stack_t alt{};
    alt.ss_sp = altstack;
    alt.ss_size = sizeof altstack;
    sigaltstack(&alt, nullptr);
  }
}

std::size_t StackPool::page_size() {
  static const std::size_t size = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

std::size_t StackPool::default_stack_size() {
#if defined(GREEN_SANITIZE_ADDRESS)
  return 256 * 1024;
#else
  return 64 * 1024;
#endif
}

Stack map_stack(std::size_t size) {
  const std::size_t page = StackPool::page_size();
  size = (size + page - 1) / page * page;
  void* mapping = mmap(nullptr, size + page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (mapping == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(),
                            "green: mmap of a greenlet stack failed");
  }
  if (mprotect(mapping, page, PROT_NONE) != 0) {
    int error = errno;
    munmap(mapping, size + page);
    throw std::system_error(error, std::generic_category(),
                            "green: guard page mprotect failed (too many stacks for "
                            "vm.max_map_count?)");
  }
  remember_guard(static_cast<const char*>(mapping), page);
  return Stack{static_cast<char*>(mapping) + page, size};
}

void unmap_stack(Stack stack) noexcept {
  const std::size_t page = StackPool::page_size();
  char* mapping = static_cast<char*>(stack.base) - page;
  forget_guard(mapping);
  munmap(mapping, stack.size + page);
}

bool is_guard_page_address(const void* address) noexcept {
  const char* p = static_cast<const char*>(address);
  // Called from the signal handler: try_lock so a fault while holding the lock
  // cannot deadlock; then we just report a generic crash.
  if (!g_guard_mutex.try_lock()) return false;
  bool hit = false;
  auto after = g_guards->upper_bound(p);
  if (after != g_guards->begin()) {
    --after;
    hit = p >= after->first && p < after->second;
  }
  g_guard_mutex.unlock();
  return hit;
}

StackPool::StackPool(std::size_t stack_size, std::size_t max_pooled)
    : stack_size_((stack_size + page_size() - 1) / page_size() * page_size()),
      max_pooled_(max_pooled) {}

StackPool::~StackPool() {
  for (Stack stack : free_) unmap_stack(stack);
  if (batch_left_ > 0) munmap(batch_next_, batch_left_ * (stack_size_ + page_size()));
}

// One mmap for kStacksPerBatch stacks instead of an mmap and an mprotect each: an
// mprotect'd guard splits its mapping in two, and that split was 6% of the CPU
// of starting 5,000 fetches at once (bench (c), perf). A guard installed by
// madvise leaves the mapping whole. Older kernels refuse it (EINVAL): then the
// batch is unmapped and every stack is mapped alone from then on.
bool StackPool::map_batch() {
  if (g_guard_install_refused.load(std::memory_order_relaxed)) return false;
  const std::size_t page = page_size();
  const std::size_t bytes = kStacksPerBatch * (stack_size_ + page);
  void* mapping = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (mapping == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(),
                            "green: mmap of greenlet stacks failed");
  }
  char* first = static_cast<char*>(mapping);
  if (madvise(first, page, MADV_GUARD_INSTALL) != 0) {
    munmap(mapping, bytes);
    g_guard_install_refused.store(true, std::memory_order_relaxed);
    return false;
  }
  // Transparent huge pages would make a stack's first touch fault in 2 MiB.
  (void)madvise(mapping, bytes, MADV_NOHUGEPAGE);
  batch_next_ = first;
  batch_left_ = kStacksPerBatch;
  return true;
}

Stack StackPool::allocate() {
  if (free_.empty()) {
    if (batch_left_ == 0 && !map_batch()) return map_stack(stack_size_);
    const std::size_t page = page_size();
    char* guard = batch_next_;
    // The first stack's guard was installed by map_batch's probe.
    if (batch_left_ != kStacksPerBatch && madvise(guard, page, MADV_GUARD_INSTALL) != 0) {
      throw std::system_error(errno, std::generic_category(),
                              "green: guard page of a greenlet stack failed");
    }
    batch_next_ += stack_size_ + page;
    --batch_left_;
    remember_guard(guard, page);
    return Stack{guard + page, stack_size_};
  }
  Stack stack = free_.back();
  free_.pop_back();
#if defined(GREEN_SANITIZE_ADDRESS)
  ASAN_UNPOISON_MEMORY_REGION(stack.base, stack.size);
#endif
  return stack;
}

void StackPool::release(Stack stack) noexcept {
  if (free_.size() >= max_pooled_) {
    unmap_stack(stack);
    return;
  }
  free_.push_back(stack);
}

}  // namespace green
