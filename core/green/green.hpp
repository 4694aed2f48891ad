// Everything of green in one include: the hub, greenlets, timeouts and every
// blocking primitive (gevent's API in C++).
#pragma once

#include "green/event.hpp"
#include "green/exceptions.hpp"
#include "green/greenlet.hpp"
#include "green/group.hpp"
#include "green/hub.hpp"
#include "green/io.hpp"
#include "green/pool.hpp"
#include "green/queue.hpp"
#include "green/semaphore.hpp"
#include "green/server.hpp"
#include "green/signal.hpp"
#include "green/socket.hpp"
#include "green/subprocess.hpp"
#include "green/timeout.hpp"
#include "green/timer.hpp"
#include "green/waiter.hpp"
