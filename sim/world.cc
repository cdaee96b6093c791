#include "sim/world.h"

#include <dlfcn.h>
#include <fmt/format.h>
#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <boost/context/detail/exception.hpp>
#include <string_view>
#include <utility>

#include "base/assert.h"
#include "base/hash.h"
#include "sim/disk.h"
#include "sim/network.h"

// A named place to stop in a debugger at a given step: `break simbus_step_hook if step == N`
// stops just before step N runs (the number `replay --verbose` prints). Not inlined, and
// its empty body kept, so the symbol is there in every build.
extern "C" __attribute__((noinline)) void simbus_step_hook(std::uint64_t step) {
  asm volatile("" : : "r"(step) : "memory");
}

namespace simbus::sim {

namespace {
thread_local World* tls_world = nullptr;

// A broken assertion inside a fiber, on its way up that fiber's stack to the fiber's
// entry, where it fails the execution. Not a std::exception, so no handler meant for
// ordinary errors takes it for one.
struct AssertionFailure {
  std::string what;
};

bool never_ready(const void*) { return false; }

constexpr std::uint64_t kStrategyStream = 0x5354524154454759ULL;  // "STRATEGY"
constexpr std::uint64_t kSetupStream = 0x5345545550ULL;           // "SETUP"
}  // namespace

const char* action_kind_name(ActionKind kind) {
  switch (kind) {
    case ActionKind::kStart: return "start";
    case ActionKind::kYield: return "yield";
    case ActionKind::kSleep: return "sleep";
    case ActionKind::kLock: return "lock";
    case ActionKind::kCondWait: return "cond-wait";
    case ActionKind::kNotify: return "notify";
    case ActionKind::kLoad: return "load";
    case ActionKind::kStore: return "store";
    case ActionKind::kRmw: return "rmw";
    case ActionKind::kChannelSend: return "chan-send";
    case ActionKind::kChannelRecv: return "chan-recv";
    case ActionKind::kSemAcquire: return "sem-acquire";
    case ActionKind::kSemRelease: return "sem-release";
    case ActionKind::kNetSend: return "net-send";
    case ActionKind::kNetRecv: return "net-recv";
    case ActionKind::kDiskRead: return "disk-read";
    case ActionKind::kDiskWrite: return "disk-write";
    case ActionKind::kDiskSync: return "disk-sync";
    case ActionKind::kJoin: return "join";
    case ActionKind::kFault: return "fault";
    case ActionKind::kDeliver: return "deliver";
    case ActionKind::kTimer: return "timer";
    case ActionKind::kTryLock: return "try-lock";
  }
  return "?";
}

const char* run_status_name(RunStatus status) {
  switch (status) {
    case RunStatus::kOk: return "ok";
    case RunStatus::kFailed: return "failed";
    case RunStatus::kDeadlock: return "deadlock";
    case RunStatus::kLivelock: return "livelock";
    case RunStatus::kDiverged: return "diverged";
    case RunStatus::kStopped: return "stopped";
  }
  return "?";
}

struct World::Fiber {
  FiberId id = 0;
  NodeIndex node = 0;
  std::string name;
  std::unique_ptr<FiberContext> context;
  Action pending{ActionKind::kStart, kNoObject, Access::kNone};
  EnabledAction next;  // what the strategy sees of `pending`, kept ready between steps
  Waiter waiter;
  std::int64_t deadline_us = kNever;
  bool timed_out = false;
  std::uint32_t seq = 0;
  std::uint32_t spawns = 0;
  std::uint32_t draws = 0;
  std::uint32_t objects = 0;
  bool killing = false;  // its node crashed: the stack is being unwound
  std::uint32_t parked_index = kNotParked;  // its entry in parked_, or not parked
  std::uint64_t spawn_index = 0;  // global spawn order: children unwind before parents
  Prng data;
};

struct World::Node {
  std::string name;
  std::uint64_t incarnation = 1;
  bool up = true;
  bool paused = false;
  std::int64_t clock_skew_us = 0;
  std::int64_t clock_drift_ppm = 0;
  std::function<void()> boot;
  std::uint32_t root_spawns = 0;
};

struct World::Event {
  std::int64_t at_us = 0;
  std::uint64_t seq = 0;
  std::uint64_t id = 0;
  NodeIndex node = 0;
  std::uint64_t incarnation = 0;
  ActionKind kind = ActionKind::kTimer;
  ObjectId object = kNoObject;
  std::function<void()> fire;
};

bool World::EventOrder::operator()(const Event* a, const Event* b) const {
  if (a->at_us != b->at_us) return a->at_us > b->at_us;
  return a->seq > b->seq;
}

namespace {
// The choice log's buffer outlives its World on this thread, as the fiber stacks do: an
// explore loop builds a World per execution, and a log grown from empty each time paid a
// page fault per 4 KiB it touched (a fifth of a 16-fiber scheduler benchmark). Bounded:
// a longer execution's buffer is freed with it.
constexpr std::size_t kSpareChoicesMax = std::size_t{1} << 22;  // 160 MiB of 40-byte choices
thread_local ChoiceLog spare_choice_log;
}  // namespace

World::World(WorldOptions options, std::shared_ptr<Strategy> strategy)
    : options_(options), strategy_(std::move(strategy)), stacks_(options.stack_bytes) {
  SIMBUS_ASSERT(strategy_ != nullptr);
  log_ = std::move(spare_choice_log);
  spare_choice_log = ChoiceLog();
  log_.clear();
  setup_rng_.reseed(hash_combine(options_.seed, kSetupStream));
  hash_ = hash_combine(0, options_.seed);
  nodes_.push_back(std::make_unique<Node>());
  nodes_.back()->name = "world";
  network_ = std::make_unique<Network>(*this);
  disk_ = std::make_unique<Disk>(*this);
  tls_world = this;
}

World::~World() {
  // Unwind every fiber still alive while the world and its objects still exist, the
  // youngest first.
  running_ = false;
  kill_all_fibers();
  while (!events_.empty()) {
    delete events_.top();
    events_.pop();
  }
  for (Event* e : systematic_events_) delete e;
  if (tls_world == this) tls_world = nullptr;
  if (log_.capacity() <= kSpareChoicesMax && log_.capacity() > spare_choice_log.capacity()) {
    log_.clear();
    spare_choice_log = std::move(log_);
  }
}

World& World::current() {
  SIMBUS_ASSERT(tls_world != nullptr);
  return *tls_world;
}

bool World::has_current() { return tls_world != nullptr; }

void World::note_unsimulated(const char* check, const char* what) {
  World* world = tls_world;
  if (world == nullptr || !world->running_ || world->current_ == nullptr || world->current_->killing) return;
  world->fail(check, fmt::format("fiber {} {}", world->fiber_name(world->current_fiber()), what));
}

NodeIndex World::add_node(std::string name, std::function<void()> boot) {
  SIMBUS_ASSERT(nodes_.size() < kNodesMax);
  auto node = std::make_unique<Node>();
  node->name = std::move(name);
  node->boot = std::move(boot);
  nodes_.push_back(std::move(node));
  return static_cast<NodeIndex>(nodes_.size() - 1);
}

const std::string& World::node_name(NodeIndex node) const {
  SIMBUS_ASSERT(node < nodes_.size());
  return nodes_[node]->name;
}

std::uint64_t World::incarnation(NodeIndex node) const {
  SIMBUS_ASSERT(node < nodes_.size());
  return nodes_[node]->incarnation;
}

bool World::node_up(NodeIndex node) const {
  SIMBUS_ASSERT(node < nodes_.size());
  return nodes_[node]->up;
}

bool World::node_paused(NodeIndex node) const {
  SIMBUS_ASSERT(node < nodes_.size());
  return nodes_[node]->paused;
}

void World::crash(NodeIndex node) {
  SIMBUS_ASSERT(node < nodes_.size());
  SIMBUS_ASSERT(node != kControlNode);
  SIMBUS_ASSERT(current_ == nullptr || current_->node != node);
  Node& n = *nodes_[node];
  if (!n.up) return;
  n.up = false;
  set_paused(n, false);
  n.incarnation += 1;
  record_fault("crash", node);
  kill_fibers_of(node);
  network_->on_crash(node);
  disk_->on_crash(node);
  note(hash_combine(0xc4a54, node));
}

void World::restart(NodeIndex node) {
  SIMBUS_ASSERT(node < nodes_.size());
  SIMBUS_ASSERT(node != kControlNode);
  Node& n = *nodes_[node];
  if (n.up) return;
  n.up = true;
  record_fault("restart", node);
  note(hash_combine(0x5e57a57, node));
  if (n.boot) spawn(node, n.name + "/boot", n.boot);
}

void World::pause(NodeIndex node) {
  SIMBUS_ASSERT(node < nodes_.size());
  SIMBUS_ASSERT(node != kControlNode);
  if (nodes_[node]->up && !nodes_[node]->paused) record_fault("pause", node);
  set_paused(*nodes_[node], nodes_[node]->up);
}

void World::set_paused(Node& node, bool paused) {
  if (node.paused == paused) return;
  node.paused = paused;
  if (paused) {
    nodes_paused_ += 1;
  } else {
    SIMBUS_ASSERT(nodes_paused_ > 0);
    nodes_paused_ -= 1;
  }
  SIMBUS_ASSERT(nodes_paused_ < nodes_.size());
}

void World::resume(NodeIndex node) {
  SIMBUS_ASSERT(node < nodes_.size());
  if (nodes_[node]->paused) record_fault("resume", node);
  set_paused(*nodes_[node], false);
}

void World::record_fault(const char* what, NodeIndex a, NodeIndex b, std::int64_t until_us) {
  if (!options_.record_steps || fault_records_.size() >= kFaultRecordsMax) return;
  fault_records_.push_back(FaultRecord{now_us_, step_, what, a, b, until_us});
}

void World::set_clock(NodeIndex node, std::int64_t skew_us, std::int64_t drift_ppm) {
  SIMBUS_ASSERT(node < nodes_.size());
  SIMBUS_ASSERT(drift_ppm > -1'000'000);
  nodes_[node]->clock_skew_us = skew_us;
  nodes_[node]->clock_drift_ppm = drift_ppm;
}

std::int64_t World::node_now_us(NodeIndex node) const {
  SIMBUS_ASSERT(node < nodes_.size());
  const Node& n = *nodes_[node];
  // Most nodes do not drift: two 64-bit divisions saved on a call every receive makes.
  if (n.clock_drift_ppm == 0) return now_us_ + n.clock_skew_us;
  // Integer arithmetic only: the reading must be the same on every compiler.
  const std::int64_t drift_us = now_us_ / 1'000'000 * n.clock_drift_ppm +
                                (now_us_ % 1'000'000) * n.clock_drift_ppm / 1'000'000;
  return now_us_ + drift_us + n.clock_skew_us;
}

FiberId World::spawn(NodeIndex node, std::string name, std::function<void()> body) {
  SIMBUS_ASSERT(node < nodes_.size());
  SIMBUS_ASSERT(nodes_[node]->up);
  SIMBUS_ASSERT(fibers_.size() < kFibersMax);
  FiberId id = 0;
  if (current_ != nullptr) {
    id = hash_combine(current_->id, 0x5ba3000000ULL + current_->spawns++);
  } else {
    Node& n = *nodes_[node];
    id = hash_combine(hash_combine(node, n.incarnation), 0x700700ULL + n.root_spawns++);
  }
  if (id == 0) id = 1;  // 0 means "no fiber"
  SIMBUS_ASSERT(find_fiber(id) == nullptr);
  auto fiber = std::make_unique<Fiber>();
  fiber->id = id;
  fiber->node = node;
  fiber->name = std::move(name);
  fiber->spawn_index = spawns_total_++;
  fiber->next.id = id;
  fiber->next.actor = id;
  fiber->next.node = node;
  fiber->next.kind = ActionKind::kStart;
  fiber->data.reseed(hash_combine(options_.seed, id));
  Fiber* raw = fiber.get();
  fiber->context = std::make_unique<FiberContext>(stacks_, [this, raw, body = std::move(body)] {
    try {
      body();
    } catch (const boost::context::detail::forced_unwind&) {
      throw;
    } catch (const AssertionFailure& a) {
      fail("assertion", fmt::format("fiber '{}' on {}: {}", raw->name, node_name(raw->node), a.what));
    } catch (const std::exception& e) {
      fail("exception", fmt::format("fiber '{}' threw: {}", raw->name, e.what()));
    }
  });
  names_[id] = fiber->name;
  auto pos = std::lower_bound(fibers_.begin(), fibers_.end(), id,
                              [](const std::unique_ptr<Fiber>& f, FiberId v) { return f->id < v; });
  fibers_.insert(pos, std::move(fiber));
  candidates_.insert(candidate_slot(id), raw);
  return id;
}

FiberId World::current_fiber() const { return current_ == nullptr ? 0 : current_->id; }

NodeIndex World::current_node() const { return current_ == nullptr ? kControlNode : current_->node; }

const std::string& World::fiber_name(FiberId id) const {
  static const std::string unknown = "?";
  auto it = names_.find(id);
  return it == names_.end() ? unknown : it->second;
}

bool World::fiber_finished(FiberId id) const { return finished_.count(id) != 0; }

World::Fiber* World::find_fiber(FiberId id) const {
  auto pos = std::lower_bound(fibers_.begin(), fibers_.end(), id,
                              [](const std::unique_ptr<Fiber>& f, FiberId v) { return f->id < v; });
  if (pos == fibers_.end() || (*pos)->id != id) return nullptr;
  return pos->get();
}

void World::point(Action action) { wait(action, Waiter{}, kNever); }

bool World::wait(Action action, Waiter waiter, std::int64_t deadline_us) {
  Fiber* self = current_;
  SIMBUS_ASSERT(self != nullptr);
  if (self->killing) return false;  // no scheduling point during a forced unwind
  self->pending = action;
  self->next.kind = action.kind;
  self->next.object = action.object;
  self->next.access = action.access;
  self->next.capacity = action.capacity;
  self->waiter = waiter;
  self->deadline_us = deadline_us;
  self->timed_out = false;
  suspend_current();
  // Back: the scheduler chose this fiber, and decided whether it is ready or timed out.
  SIMBUS_ASSERT(current_ == self);
  return !self->timed_out;
}

void World::suspend_current() {
  Fiber* self = current_;
  self->context->suspend();
}

void World::sleep_for_us(std::int64_t duration_us) {
  if (duration_us <= 0) {
    yield();
    return;
  }
  wait({ActionKind::kSleep, kNoObject, Access::kNone}, Waiter{&never_ready, nullptr, nullptr, true},
       now_us_ + duration_us);
}

void World::join(FiberId id) {
  struct Target {
    const World* world;
    FiberId id;
  } target{this, id};
  Waiter waiter;
  waiter.ready = [](const void* o) {
    const auto* t = static_cast<const Target*>(o);
    return t->world->fiber_finished(t->id);
  };
  waiter.owner = [](const void* o) { return static_cast<const Target*>(o)->id; };
  waiter.object = &target;
  wait({ActionKind::kJoin, id, Access::kRead}, waiter);
}

void World::schedule_event(std::int64_t at_us, NodeIndex node, ActionKind kind, ObjectId object,
                           std::function<void()> fire) {
  SIMBUS_ASSERT(node < nodes_.size());
  SIMBUS_ASSERT(at_us >= now_us_);
  SIMBUS_ASSERT(events_.size() + systematic_events_.size() < kEventsMax);
  auto* event = new Event;
  event->at_us = at_us;
  event->seq = event_seq_++;
  event->id = new_object_id();
  event->node = node;
  event->incarnation = nodes_[node]->incarnation;
  event->kind = kind;
  event->object = object;
  event->fire = std::move(fire);
  if (options_.systematic) {
    systematic_events_.push_back(event);
  } else {
    events_.push(event);
  }
}

std::uint64_t World::draw_below(DataTag tag, std::uint64_t bound) {
  SIMBUS_ASSERT(bound > 0);
  FiberId actor = 0;
  std::uint32_t counter = 0;
  Prng* rng = &setup_rng_;
  if (current_ != nullptr) {
    actor = current_->id;
    counter = current_->draws++;
    rng = &current_->data;
  } else {
    counter = setup_draws_++;
  }
  // The actor's stream always advances, so an overridden value shifts no later draw.
  std::uint64_t value = rng->below(bound);
  if (auto chosen = strategy_->choose_data({actor, counter, tag, bound})) {
    if (*chosen >= bound) {
      fail("replay", fmt::format("data choice {} of '{}' is {}, not below {}", counter,
                                 fiber_name(actor), *chosen, bound));
      value = bound - 1;
    } else {
      value = *chosen;
    }
  }
  Choice choice;
  choice.kind = Choice::Kind::kData;
  choice.actor = actor;
  choice.seq = counter;
  choice.tag = tag;
  choice.value = value;
  choice.step = step_;
  log_.push_back(choice);
  hash_ = hash_combine(hash_, value ^ (static_cast<std::uint64_t>(tag) << 56));
  SIMBUS_ASSERT(value < bound);
  return value;
}

bool World::draw_chance(DataTag tag, std::uint64_t numerator, std::uint64_t denominator) {
  SIMBUS_ASSERT(denominator > 0);
  if (numerator == 0) return false;
  if (numerator >= denominator) return true;
  return draw_below(tag, denominator) < numerator;
}

void World::note(std::uint64_t digest) { hash_ = hash_combine(hash_, digest); }

ObjectId World::new_object_id() {
  ObjectId id = 0;
  if (current_ != nullptr) {
    id = hash_combine(current_->id, 0x0b1ec7000000ULL + current_->objects++);
  } else {
    id = hash_combine(0x0b1ec7, ++setup_objects_);
  }
  return id == kNoObject ? 1 : id;
}

// One execution of an exploration of thousands, and often a seeded bug's own symptom: a
// broken invariant in simulated code fails that execution, reported with its seed and
// replayable, instead of killing the process and every execution after it. Outside a
// fiber (the simulator's own code, setup, the checkers) and while a fiber is being
// unwound (a second exception would terminate), the process still aborts.
void World::on_assert_failed(const char* expr, const char* file, int line, const char* msg) {
  World* world = tls_world;
  if (world == nullptr || world->current_ == nullptr || world->current_->killing) return;
  throw AssertionFailure{fmt::format("assertion failed: {} at {}:{}{}{}", expr, file, line, msg ? ": " : "",
                                     msg ? msg : "")};
}

void World::fail(std::string check, std::string message, const char* file, const char* function) {
  if (failure_) return;  // the first failure is the one reported
  failure_.emplace(std::move(check), std::move(message));
  fail_step_ = step_;
  fail_time_us_ = now_us_;
  std::string_view path = file == nullptr ? "" : file;
  if (const auto slash = path.find_last_of('/'); slash != std::string_view::npos) path = path.substr(slash + 1);
  failure_site_ = fmt::format("{}:{}", path, function == nullptr ? "" : function);
}

void World::stop() { stop_requested_ = true; }

bool World::skip(const std::string& key) {
  if (skip_points_.size() < kSkipPointsMax) skip_points_.push_back(key);
  return std::binary_search(options_.skip.begin(), options_.skip.end(), key);
}

void World::notify(const void* object) {
  for (std::size_t i = 0; i < parked_.size();) {
    if (parked_[i].object == object) {
      unpark(i);  // parked_[i] is now another entry
    } else {
      ++i;
    }
  }
}

void World::park(Fiber& fiber) {
  SIMBUS_ASSERT(fiber.parked_index == kNotParked);
  SIMBUS_ASSERT(fiber.waiter.notifies && !options_.systematic);
  SIMBUS_ASSERT(parked_.size() < kFibersMax);
  fiber.parked_index = static_cast<std::uint32_t>(parked_.size());
  parked_.push_back(Parked{fiber.waiter.object, fiber.deadline_us, &fiber});
  if (!parked_due_stale_) parked_due_us_ = std::min(parked_due_us_, fiber.deadline_us);
}

std::int64_t World::parked_due_us() {
  if (parked_due_stale_) {
    parked_due_us_ = kNever;
    for (const Parked& p : parked_) parked_due_us_ = std::min(parked_due_us_, p.deadline_us);
    parked_due_stale_ = false;
  }
  return parked_due_us_;
}

std::vector<World::Fiber*>::iterator World::candidate_slot(FiberId id) {
  return std::lower_bound(candidates_.begin(), candidates_.end(), id,
                          [](const Fiber* f, FiberId v) { return f->id < v; });
}

World::Fiber* World::take_parked(std::size_t index) {
  SIMBUS_ASSERT(index < parked_.size());
  Fiber* fiber = parked_[index].fiber;
  SIMBUS_ASSERT(fiber->parked_index == index);
  if (parked_[index].deadline_us == parked_due_us_) parked_due_stale_ = true;
  parked_[index] = parked_.back();
  parked_[index].fiber->parked_index = static_cast<std::uint32_t>(index);
  parked_.pop_back();
  fiber->parked_index = kNotParked;
  return fiber;
}

void World::unpark(std::size_t index) {
  Fiber* fiber = take_parked(index);
  auto slot = candidate_slot(fiber->id);
  SIMBUS_ASSERT(slot == candidates_.end() || (*slot)->id != fiber->id);
  candidates_.insert(slot, fiber);
}

void World::forget(Fiber& fiber) {
  if (fiber.parked_index != kNotParked) {
    take_parked(fiber.parked_index);
    return;
  }
  auto slot = candidate_slot(fiber.id);
  SIMBUS_ASSERT(slot != candidates_.end() && *slot == &fiber);
  candidates_.erase(slot);
}

// Every step evaluates the candidates only: a parked fiber's ready() is false until its
// object notifies, and its deadline is ahead, so it would not be enabled. The candidates
// keep fibers_' order, so the strategy sees the list a scan of every fiber gives.
void World::collect_enabled() {
  SIMBUS_ASSERT(candidates_.size() + parked_.size() == fibers_.size());
  enabled_.clear();
  enabled_fibers_.clear();
  enabled_events_.clear();
  if (parked_due_us() <= now_us_) {
    for (std::size_t i = 0; i < parked_.size();) {
      if (parked_[i].deadline_us <= now_us_) {
        unpark(i);
      } else {
        ++i;
      }
    }
  }
  std::size_t kept = 0;
  for (std::size_t i = 0; i < candidates_.size(); ++i) {
    Fiber& f = *candidates_[i];
    bool timeout = false;
    bool blocked = false;
    if (f.waiter.ready != nullptr && !f.waiter.ready(f.waiter.object)) [[unlikely]] {
      if (f.deadline_us == kNever || (!options_.systematic && f.deadline_us > now_us_)) {
        if (f.waiter.notifies && !options_.systematic) {
          park(f);
          continue;
        }
        blocked = true;
      } else {
        timeout = true;
      }
    }
    if (kept != i) candidates_[kept] = &f;  // closes the gap a parked fiber left
    kept += 1;
    if (blocked) continue;
    // nodes_paused_ first: the node's flag is two loads away, and almost no run pauses one.
    if (nodes_paused_ != 0 && f.node != kControlNode && nodes_[f.node]->paused) [[unlikely]] continue;
    enabled_.push_back(f.next);
    enabled_.back().timeout = timeout;
    enabled_fibers_.push_back(&f);
  }
  if (kept != candidates_.size()) candidates_.resize(kept);
#ifndef NDEBUG
  SIMBUS_ASSERT(enabled_as_full_scan());
#endif
  if (options_.systematic) {
    for (Event* e : systematic_events_) {
      EnabledAction& a = enabled_.emplace_back();
      a.id = e->id;
      a.actor = e->id;
      a.node = e->node;
      a.kind = e->kind;
      a.object = e->object;
      a.access = Access::kWrite;
      enabled_events_.push_back(e);
    }
  }
}

// The enabled fibers as evaluating every fiber's wait gives them, against enabled_fibers_:
// checked in builds with assertions (the sanitizer tree), since a change that forgets to
// notify would otherwise show only as a changed schedule.
bool World::enabled_as_full_scan() const {
  std::size_t at = 0;
  for (const auto& owned : fibers_) {
    const Fiber& f = *owned;
    bool timeout = false;
    if (f.waiter.ready != nullptr && !f.waiter.ready(f.waiter.object)) {
      if (f.deadline_us == kNever) continue;
      if (!options_.systematic && f.deadline_us > now_us_) continue;
      timeout = true;
    }
    if (f.node != kControlNode && nodes_[f.node]->paused) continue;
    if (at >= enabled_fibers_.size() || enabled_fibers_[at] != &f || enabled_[at].timeout != timeout) return false;
    at += 1;
  }
  return at == enabled_fibers_.size();
}

bool World::fire_due_events() {
  bool fired = false;
  while (!events_.empty() && events_.top()->at_us <= now_us_) {
    std::unique_ptr<Event> event(events_.top());
    events_.pop();
    if (event->incarnation != nodes_[event->node]->incarnation) continue;  // its node crashed
    hash_ = hash_combine(hash_, event->id);
    event->fire();
    fired = true;
  }
  return fired;
}

// The earliest deadline of a fiber on a running node, or event. While no node is paused,
// parked_'s earliest is kept; otherwise its entries are read, and a node's paused flag
// (two loads away) only for a deadline that would lower the minimum, which few do.
std::int64_t World::next_wake_us() {
  std::int64_t next = events_.empty() ? kNever : events_.top()->at_us;
  if (nodes_paused_ == 0) {
    next = std::min(next, parked_due_us());
  } else {
    for (const Parked& p : parked_) {
      if (p.deadline_us < next && !nodes_[p.fiber->node]->paused) next = p.deadline_us;
    }
  }
  for (const Fiber* f : candidates_) {
    if (f->deadline_us < next && (nodes_paused_ == 0 || !nodes_[f->node]->paused)) next = f->deadline_us;
  }
  return next;
}

// Inlined into run(): a return from here would follow the switch back from the fiber, and
// the return-address stack, holding the fiber's frames, mispredicts it.
[[gnu::always_inline]] inline void World::run_fiber(Fiber& fiber) {
  fiber.timed_out = fiber.waiter.ready != nullptr && !fiber.waiter.ready(fiber.waiter.object);
  if (fiber.timed_out && fiber.deadline_us > now_us_) {
    SIMBUS_ASSERT(options_.systematic);
    now_us_ = fiber.deadline_us;  // systematic mode: time jumps to the chosen timeout
  }
  fiber.seq += 1;
  fiber.next.seq = fiber.seq;
  // (actor, seq) is the identity; the id is a cheap, stable digest of it.
  fiber.next.id = fiber.id ^ (static_cast<std::uint64_t>(fiber.seq) * 0x9e3779b97f4a7c15ULL);
  current_ = &fiber;
  fiber.context->resume();
  current_ = nullptr;
  if (fiber.context->finished()) finish_fiber(fiber);
}

void World::run_event(Event& event) {
  auto pos = std::find(systematic_events_.begin(), systematic_events_.end(), &event);
  SIMBUS_ASSERT(pos != systematic_events_.end());
  systematic_events_.erase(pos);
  std::unique_ptr<Event> owned(&event);
  if (event.incarnation != nodes_[event.node]->incarnation) return;
  now_us_ = std::max(now_us_, event.at_us);
  event.fire();
}

void World::finish_fiber(Fiber& fiber) {
  const FiberId id = fiber.id;
  finished_.insert(id);
  auto pos = std::lower_bound(fibers_.begin(), fibers_.end(), id,
                              [](const std::unique_ptr<Fiber>& f, FiberId v) { return f->id < v; });
  SIMBUS_ASSERT(pos != fibers_.end());
  SIMBUS_ASSERT((*pos)->id == id);
  forget(fiber);
  fibers_.erase(pos);
}

void World::kill_all_fibers() { kill_fibers_where([](const Fiber&) { return true; }); }

void World::kill_fibers_of(NodeIndex node) {
  kill_fibers_where([node](const Fiber& f) { return f.node == node; });
}

void World::kill_fibers_where(const std::function<bool(const Fiber&)>& doomed_if) {
  std::vector<std::unique_ptr<Fiber>> doomed;
  for (auto it = fibers_.begin(); it != fibers_.end();) {
    if (doomed_if(**it)) {
      forget(**it);
      finished_.insert((*it)->id);
      doomed.push_back(std::move(*it));
      it = fibers_.erase(it);
    } else {
      ++it;
    }
  }
  // Children first: a parent's stack often owns what its children point to.
  std::sort(doomed.begin(), doomed.end(),
            [](const auto& a, const auto& b) { return a->spawn_index > b->spawn_index; });
  // Unwinding runs destructors on the doomed stacks; they must not reach a scheduling
  // point (World::wait returns at once while a context unwinds).
  Fiber* saved = current_;
  for (auto& f : doomed) {
    current_ = f.get();
    f->killing = true;
    f->context.reset();
  }
  current_ = saved;
}

void World::record_step(const EnabledAction& action) {
  StepRecord r;
  r.step = step_;
  r.now_us = now_us_;
  r.actor = action.actor;
  r.kind = action.kind;
  r.object = action.object;
  r.node = action.node;
  r.hash_after = hash_;
  records_.push_back(r);
}

RunOutcome World::run() {
  SIMBUS_ASSERT(!running_);
  running_ = true;
  tls_world = this;
  struct AssertHandlerScope {
    AssertHandler previous = set_assert_handler(&World::on_assert_failed);
    ~AssertHandlerScope() { set_assert_handler(previous); }
  } assert_handler_scope;
  strategy_->begin(hash_combine(options_.seed, kStrategyStream));
  RunOutcome outcome;
  PickContext ctx;
  while (true) {
    if (failure_) {
      outcome.status = failure_->first == "replay" ? RunStatus::kDiverged : RunStatus::kFailed;
      break;
    }
    if (stop_requested_) break;
    if (!options_.systematic) fire_due_events();
    collect_enabled();
    if (enabled_.empty()) {
      if (fibers_.empty()) break;  // every fiber finished: done
      const std::int64_t next = next_wake_us();
      if (next == kNever) {
        outcome.status = RunStatus::kDeadlock;
        failure_.emplace("deadlock", deadlock_report());
        failure_site_ = "world.cc:deadlock";
        break;
      }
      if (options_.cap_time_us != 0 && next > options_.cap_time_us) {
        outcome.capped = true;
        break;
      }
      if (next > options_.time_us_max) {
        outcome.status = RunStatus::kLivelock;
        failure_.emplace("livelock", fmt::format("virtual-time budget of {} us exhausted with {} fibers alive",
                                                 options_.time_us_max, fibers_.size()));
        failure_site_ = "world.cc:time-budget";
        break;
      }
      SIMBUS_ASSERT(next >= now_us_);
      now_us_ = next;
      continue;
    }
    if (step_ >= options_.steps_max) {
      outcome.status = RunStatus::kLivelock;
      failure_.emplace("livelock", fmt::format("step budget of {} exhausted with {} fibers alive",
                                               options_.steps_max, fibers_.size()));
      failure_site_ = "world.cc:step-budget";
      break;
    }
    if (options_.cap_steps != 0 && step_ >= options_.cap_steps) {
      outcome.capped = true;
      break;
    }
    if (options_.stop_before_step != 0 && step_ + 1 >= options_.stop_before_step) {
      outcome.status = RunStatus::kStopped;
      break;
    }
    ctx.step = step_;
    ctx.now_us = now_us_;
    const std::size_t index = strategy_->pick(enabled_, ctx);
    if (index == Strategy::kDiverged) {
      outcome.status = RunStatus::kDiverged;
      failure_.emplace("replay", strategy_->divergence());
      failure_site_ = "world.cc:replay";
      break;
    }
    SIMBUS_ASSERT(index < enabled_.size());
    const EnabledAction chosen = enabled_[index];
    if (enabled_.size() > 1) {
      Choice choice;
      choice.kind = Choice::Kind::kSchedule;
      choice.actor = chosen.actor;
      choice.seq = chosen.seq;
      choice.index = static_cast<std::uint32_t>(index);
      choice.options = static_cast<std::uint32_t>(enabled_.size());
      choice.step = step_;
      log_.push_back(choice);
    }
    step_ += 1;
    // One mix per step over everything that identifies it (mix64 is a bijection, so the
    // running hash still depends on every step's digest).
    const std::uint64_t digest = mix64(chosen.actor + step_ * 0xd6e8feb86659fd93ULL) ^
                                 (chosen.object * 0x9e3779b97f4a7c15ULL) ^
                                 (static_cast<std::uint64_t>(now_us_) * 0xc2b2ae3d27d4eb4fULL) ^
                                 ((static_cast<std::uint64_t>(chosen.kind) << 48) |
                                  (static_cast<std::uint64_t>(chosen.node) << 8) | (chosen.timeout ? 1u : 0u));
    hash_ = mix64(hash_ ^ digest);
    simbus_step_hook(step_);
    if (index < enabled_fibers_.size()) {
      run_fiber(*enabled_fibers_[index]);
    } else {
      run_event(*enabled_events_[index - enabled_fibers_.size()]);
    }
    if (options_.record_steps) record_step(chosen);
  }
  if (failure_ && outcome.status == RunStatus::kOk) outcome.status = RunStatus::kFailed;
  if (failure_) {
    outcome.check = failure_->first;
    outcome.message = failure_->second;
    outcome.site = failure_site_;
  }
  if (failure_) {
    outcome.fail_step = fail_step_;
    outcome.fail_time_us = fail_time_us_;
  }
  outcome.steps = step_;
  outcome.now_us = now_us_;
  outcome.trace_hash = hash_;
  running_ = false;
  return outcome;
}

std::string World::describe_fibers() const {
  std::string out;
  for (const auto& f : fibers_) {
    const bool ready = f->waiter.ready == nullptr || f->waiter.ready(f->waiter.object);
    out += fmt::format("  fiber {} (node {}): next {} object {:016x}{}{}\n", f->name,
                       nodes_[f->node]->name, action_kind_name(f->pending.kind), f->pending.object,
                       ready ? " [enabled]" : " [blocked]",
                       f->deadline_us == kNever ? std::string()
                                                : fmt::format(" deadline {}us", f->deadline_us));
  }
  return out;
}

std::string World::deadlock_report() const {
  // Follow "waits for the holder of" edges from each blocked fiber; the first cycle found
  // (in the stable fiber order) is the one reported.
  for (const auto& start : fibers_) {
    std::vector<const Fiber*> path;
    const Fiber* f = start.get();
    while (f != nullptr) {
      auto seen = std::find(path.begin(), path.end(), f);
      if (seen != path.end()) {
        std::string cycle;
        for (auto it = seen; it != path.end(); ++it) {
          cycle += fmt::format("{} waits for {} {:x} held by ", (*it)->name,
                               action_kind_name((*it)->pending.kind), (*it)->pending.object);
        }
        cycle += (*seen)->name;
        return fmt::format("{} fibers blocked, nothing pending; cycle: {}", fibers_.size(), cycle);
      }
      path.push_back(f);
      if (f->waiter.owner == nullptr) break;
      const FiberId owner = f->waiter.owner(f->waiter.object);
      f = owner == 0 ? nullptr : find_fiber(owner);
    }
  }
  std::string names;
  for (const auto& f : fibers_) {
    names += fmt::format("{}{} ({} {:x})", names.empty() ? "" : ", ", f->name,
                         action_kind_name(f->pending.kind), f->pending.object);
  }
  return fmt::format("{} fibers blocked, nothing pending: {}", fibers_.size(), names);
}

Network& World::network() { return *network_; }
Disk& World::disk() { return *disk_; }

}  // namespace simbus::sim

#ifndef SIMBUS_ASAN
// A simulated fiber that starts a real thread (the standard thread class, not the
// drop-in) runs code nobody schedules, and one that reads the wall clock sees a value that
// differs run to run: the execution fails, naming the fiber, instead of passing
// unexamined. Defined here, in the object every simulating program links, these interpose
// libc's functions for the whole program; outside a running fiber they only forward. (Not
// under the sanitizers, whose runtime interposes pthread_create too.)
namespace {
template <typename Function>
Function next_definition(const char* name) {
  auto* found = reinterpret_cast<Function>(dlsym(RTLD_NEXT, name));
  SIMBUS_ASSERT_MSG(found != nullptr, name);
  return found;
}
}  // namespace

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  using Create = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const Create next = next_definition<Create>("pthread_create");
  simbus::sim::World::note_unsimulated(
      "os-thread",
      "started an operating-system thread, which the scheduler cannot see or interleave: use "
      "simbus::concurrency::thread (sim/std_switch.h) or sim::spawn");
  return next(thread, attr, start, arg);
}

extern "C" int clock_gettime(clockid_t clock, struct timespec* now) {  // determinism-ok: the guard against it
  using Read = int (*)(clockid_t, struct timespec*);
  static const Read next = next_definition<Read>("clock_gettime");  // determinism-ok
  simbus::sim::World::note_unsimulated(
      "wall-clock",
      "read the wall clock, which differs run to run: use virtual time (sim::this_fiber::now_us, "
      "simbus::concurrency::this_thread::sleep_for)");
  return next(clock, now);
}
#endif
