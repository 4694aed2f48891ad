// detail::Multi: libcurl's multi_socket interface on hub watchers and a hub timer.
// A socket's watcher lives from libcurl's first interest in it until libcurl closes
// it (CURLOPT_CLOSESOCKETFUNCTION), so a keep-alive connection going idle and busy
// again costs no watcher churn; an idle one that turns readable is unwatched then.
// Which sockets are watched for input is also what lets the hub answer libcurl's
// zero-timeout polls of them (net/detail/curl_poll.hpp). libcurl's clock reads in
// an event are the event's time (net/detail/curl_clock.hpp).
#include "net/detail/multi.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "green/hub.hpp"
#include "net/detail/curl_clock.hpp"
#include "net/detail/curl_memory.hpp"
#include "net/detail/curl_poll.hpp"
#include "net/detail/transfer.hpp"

namespace gfetch::net::detail {

struct Multi::Socket {
  Socket(green::Hub& hub, int fd, Multi& multi, std::uint64_t serial_number)
      : watcher(hub, fd, [this, &multi](int events) { multi.on_ready(*this, events); }),
        serial(serial_number) {}
  green::IoWatcher watcher;
  std::uint64_t serial;
  bool wanted = false;  // libcurl wants events now (false after CURL_POLL_REMOVE)
};

namespace {

constexpr long kInitialIdleCap = 64;

// libcurl allocates the handle: its allocator must be in place first.
CURLM* new_multi() {
  ensure_curl_initialised();
  return curl_multi_init();
}

}  // namespace

Multi::Multi(green::Hub& hub, const Limits& limits, CURLSH* share)
    : hub_(&hub),
      share_(share),
      multi_(new_multi()),
      timer_(hub, [this] { on_timeout(); }),
      dns_pruning_(hub.now()) {
  if (multi_ == nullptr) throw std::runtime_error("net: curl_multi_init failed");
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &Multi::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &Multi::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_MAX_TOTAL_CONNECTIONS, limits.max_connections);
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, limits.max_connections_per_host);
  idle_cap_auto_ = limits.max_idle_connections == 0;
  idle_cap_ = idle_cap_auto_ ? kInitialIdleCap : limits.max_idle_connections;
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, idle_cap_);
  timer_.set_ref(false);
}

Multi::~Multi() {
  // Closing the cached connections calls on_socket / on_close_socket: sockets_ and
  // timer_ are still alive here.
  curl_multi_cleanup(multi_);
  for (const std::unique_ptr<Easy>& easy : pool_) curl_easy_cleanup(easy->handle);
  for (const std::unique_ptr<Socket>& socket : sockets_) {
    if (socket) curl_poll::set_watched_for_input(socket->watcher.fd(), false);
  }
  sockets_.clear();
  closed_.clear();
}

long Multi::dns_cache_timeout() noexcept {
  return dns_pruning_.timeout_for(hub_->now());
}

std::unique_ptr<Easy> Multi::acquire() {
  if (!pool_.empty()) {
    std::unique_ptr<Easy> easy = std::move(pool_.back());
    pool_.pop_back();
    return easy;
  }
  auto easy = std::make_unique<Easy>();
  easy->handle = curl_easy_init();
  if (easy->handle == nullptr) return nullptr;
  setup(*easy);
  return easy;
}

void Multi::setup(Easy& easy) noexcept {
  easy.sticky.valid = false;
  init_easy(easy.handle);
  curl_easy_setopt(easy.handle, CURLOPT_ERRORBUFFER, easy.error);
  curl_easy_setopt(easy.handle, CURLOPT_CLOSESOCKETFUNCTION, &Multi::on_close_socket);
  curl_easy_setopt(easy.handle, CURLOPT_CLOSESOCKETDATA, this);
  if (share_ != nullptr) curl_easy_setopt(easy.handle, CURLOPT_SHARE, share_);
}

void Multi::release(std::unique_ptr<Easy> easy, bool dirty, bool may_keep_buffer) noexcept {
  // libcurl 7.88 frees a transfer's receive buffer in multi_done, but not when the
  // transfer ends while its connection carries others (HTTP/2), nor when it is
  // removed before it had a connection. A handle that kept one refuses
  // CURLOPT_BUFFERSIZE for good, and curl_easy_reset would leave it with a
  // buffer smaller than the size it then assumes. CURLOPT_BUFFERSIZE fails exactly
  // when the buffer is there (setting the size in force changes nothing otherwise):
  // such a handle is freed, and the pool makes a new one.
  if (may_keep_buffer &&
      curl_easy_setopt(easy->handle, CURLOPT_BUFFERSIZE, easy->sticky.buffer_size) != CURLE_OK) {
    curl_easy_cleanup(easy->handle);
    return;
  }
  curl_easy_setopt(easy->handle, CURLOPT_CURLU, nullptr);  // the caller's, about to die
  if (dirty) {
    curl_easy_reset(easy->handle);
    setup(*easy);
  }
  try {
    pool_.push_back(std::move(easy));
  } catch (...) {
    curl_easy_cleanup(easy->handle);
  }
}

CURLMcode Multi::add(CURL* easy, Transfer& transfer) {
  bury_closed();
  transfer.easy = easy;
  transfer.ack_now = &ack_now_;
  if (idle_cap_auto_ && static_cast<long>(active_ + 1) > idle_cap_) {
    // A cache smaller than the concurrency closes connections the next fetches
    // would have reused.
    idle_cap_ = std::max(idle_cap_ * 2, static_cast<long>(active_ + 1));
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, idle_cap_);
  }
  CURLMcode code = curl_multi_add_handle(multi_, easy);
  if (code == CURLM_OK && active_++ == 0) timer_.set_ref(true);
  return code;
}

void Multi::stop_caching_connections() noexcept {
  idle_cap_auto_ = false;
  idle_cap_ = 1;  // 0 would mean libcurl's default, 4 per easy handle
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, idle_cap_);
}

void Multi::remove(CURL* easy, const Transfer& transfer) noexcept {
  if (transfer.detached) return;
  curl_multi_remove_handle(multi_, easy);
  if (--active_ == 0) timer_.set_ref(false);  // idle: curl's timer keeps no one waiting
  bury_closed();
}

int Multi::on_socket(CURL*, curl_socket_t fd, int what, void* self, void*) noexcept {
  try {
    static_cast<Multi*>(self)->watch(fd, what);
    return 0;
  } catch (...) {
    return -1;  // libcurl fails the transfers of this multi handle
  }
}

int Multi::on_timer(CURLM*, long timeout_ms, void* self) noexcept {
  auto* multi = static_cast<Multi*>(self);
  try {
    if (timeout_ms < 0) {
      multi->timer_.cancel();
    } else if (timeout_ms == 0 && multi->timer_.pending() &&
               multi->timer_.deadline() <= multi->hub_->now()) {
      // Already due (libcurl asks again for every handle added in a loop turn).
    } else {
      multi->timer_.start(static_cast<double>(timeout_ms) / 1000.0);
    }
    return 0;
  } catch (...) {
    return -1;
  }
}

int Multi::on_close_socket(void* self, curl_socket_t fd) noexcept {
  static_cast<Multi*>(self)->forget(fd);
  return ::close(fd);
}

void Multi::watch(curl_socket_t fd, int what) {
  std::size_t index = static_cast<std::size_t>(fd);
  if (what == CURL_POLL_REMOVE) {
    // Stays registered: the next transfer on this keep-alive connection asks for
    // the same events again, and then nothing changes in the event loop.
    if (index < sockets_.size() && sockets_[index]) {
      sockets_[index]->wanted = false;
      sockets_[index]->watcher.set_ref(false);
    }
    return;
  }
  int events = 0;
  if (what & CURL_POLL_IN) events |= green::IoWatcher::kRead;
  if (what & CURL_POLL_OUT) events |= green::IoWatcher::kWrite;
  if (index >= sockets_.size()) sockets_.resize(index + 1);
  if (!sockets_[index]) {
    sockets_[index] = std::make_unique<Socket>(*hub_, fd, *this, next_serial_++);
  }
  Socket& socket = *sockets_[index];
  socket.wanted = true;
  socket.watcher.set_ref(true);
  socket.watcher.start(events);
  curl_poll::set_watched_for_input(fd, (events & green::IoWatcher::kRead) != 0);
}

void Multi::forget(curl_socket_t fd) noexcept {
  std::size_t index = static_cast<std::size_t>(fd);
  if (index >= sockets_.size() || !sockets_[index]) return;
  std::unique_ptr<Socket> socket = std::move(sockets_[index]);
  socket->watcher.stop();  // before the fd closes
  curl_poll::set_watched_for_input(fd, false);
  // Its own callback may be running (libcurl closes sockets from inside
  // curl_multi_socket_action): destroy it later, outside any callback.
  try {
    closed_.push_back(std::move(socket));
  } catch (...) {
    (void)socket.release();  // stopped; leaking beats freeing a running callback
  }
}

std::uint64_t Multi::socket_serial(curl_socket_t fd) const noexcept {
  std::size_t index = static_cast<std::size_t>(fd);
  return fd >= 0 && index < sockets_.size() && sockets_[index] ? sockets_[index]->serial : 0;
}

void Multi::bury_closed() noexcept {
  closed_.clear();
}

void Multi::on_ready(Socket& socket, int events) {
  if (!socket.wanted) {
    // An idle keep-alive connection became readable (closed by the peer, most
    // likely): stop watching it; libcurl notices when it next picks the connection
    // (its liveness poll now goes to the kernel).
    socket.watcher.stop();
    curl_poll::set_watched_for_input(socket.watcher.fd(), false);
    return;
  }
  bury_closed();  // never holds `socket`: a stopped watcher is not dispatched
  int mask = 0;
  if (events & green::IoWatcher::kRead) mask |= CURL_CSELECT_IN;
  if (events & green::IoWatcher::kWrite) mask |= CURL_CSELECT_OUT;
  int running = 0;
  const curl_socket_t fd = socket.watcher.fd();
  ack_now_ = false;
  // libcurl's clock reads, here and as it removes the transfers it finished.
  const curl_clock::Frozen frozen;
  {
    const curl_poll::HandlingEvent handling(fd);  // libcurl's polls of fd between reads
    curl_multi_socket_action(multi_, fd, mask, &running);
  }
  // Unless libcurl closed the connection meanwhile (the Socket moved to closed_).
  if (ack_now_ && static_cast<std::size_t>(fd) < sockets_.size() &&
      sockets_[static_cast<std::size_t>(fd)].get() == &socket) {
    acknowledge_now(fd);
  }
  ack_now_ = false;
  deliver_finished();
}

// TCP_QUICKACK sends a pending delayed ACK now (and leaves delayed-ACK mode until
// the connection looks interactive again, at our next request). Best effort: on a
// socket that is not TCP it fails, and nothing else changes.
void Multi::acknowledge_now(curl_socket_t fd) noexcept {
  int on = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
}

void Multi::on_timeout() {
  bury_closed();
  const curl_clock::Frozen frozen;
  int running = 0;
  curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
  deliver_finished();
}

// A finished transfer's handle is removed here, on the hub: removal runs deep
// libcurl code (connection cache, log formatting) that would otherwise touch more
// pages of every fetch greenlet's stack. libcurl calls nothing of a done handle.
void Multi::deliver_finished() noexcept {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    const CURLcode result = message->data.result;  // the message dies with the removal
    char* owner = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &owner);
    if (owner == nullptr) continue;
    auto* transfer = static_cast<Transfer*>(static_cast<void*>(owner));
    if (transfer->want_active_socket) {
      curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &transfer->active_socket);
    }
    curl_multi_remove_handle(multi_, easy);
    transfer->detached = true;
    if (--active_ == 0) timer_.set_ref(false);
    transfer->finish(result);
  }
}

}  // namespace gfetch::net::detail
