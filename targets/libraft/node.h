// One libraft server on one simulated node, for one incarnation: its `struct raft`, the
// `raft_io` that carries the library's I/O to simbus's network and disk, and the KV FSM.
// Every call into the library runs on the node's driver fiber, one call per scheduling
// step; the io never calls back from inside the call that started an operation (the
// completion is queued and delivered as a step of its own). A crash unwinds the fibers and
// drops the Node with everything queued: nothing of the library runs again, and its
// memory (the node's arena) is freed whole.
#pragma once

#include "targets/libraft/raft_c.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sim/world.h"
#include "targets/libraft/disk_format.h"
#include "targets/libraft/heap.h"
#include "targets/libraft/kv_fsm.h"
#include "targets/libraft/raft_checks.h"
#include "targets/libraft/wire.h"

namespace simbus::targets::libraft {

struct ServerInfo {
  std::uint64_t id = 0;
  std::string address;
  sim::NodeIndex node = 0;
};

// What the nodes of one cluster share: who is where, the checks, the fault switches. It
// outlives every incarnation of every node.
struct ClusterShared {
  sim::World* world = nullptr;
  std::vector<ServerInfo> servers;  // every server that may ever exist, by id order
  std::vector<std::uint64_t> bootstrap_voters;  // the initial configuration
  RaftChecks checks;
  // Raft settings.
  unsigned tick_ms = 0;  // 0: the heartbeat timeout
  unsigned election_timeout_ms = 300;
  unsigned heartbeat_timeout_ms = 50;
  unsigned snapshot_threshold = 1'024;
  unsigned snapshot_trailing = 128;
  bool pre_vote = true;
  // Disk faults that reach the library as error statuses, while `disk_faults_on`.
  std::uint32_t append_error_per_million = 0;
  std::uint32_t snapshot_error_per_million = 0;
  bool disk_faults_on = false;
  std::uint64_t disk_errors = 0;
  std::set<std::uint64_t> disk_failed;  // servers whose io reported a write error

  const ServerInfo* server(std::uint64_t id) const;
  const ServerInfo* server_at(sim::NodeIndex node) const;
  // A failure of the adapter itself (never the library's): reported as "libraft-adapter".
  void adapter_failure(const std::string& message);
  // The library broke the raft_io contract: reported as "libraft-io-contract".
  void contract_failure(const std::string& message);
};

class Node : public std::enable_shared_from_this<Node> {
 public:
  static constexpr std::size_t kEventsMax = 100'000;
  static constexpr std::size_t kOutboxMax = 100'000;
  static constexpr std::size_t kDiskOpsMax = 100'000;

  Node(ClusterShared& cluster, const ServerInfo& self);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // The node's boot fiber: recovers the disk, starts the library, spawns the node's other
  // fibers and drives the library until the node crashes or the world stops.
  void run();

  // --- views for the scenario (no scheduling point)
  bool started() const { return started_; }
  bool leader() const;
  std::uint64_t term() const { return raft_.current_term; }
  std::uint64_t voted_for() const { return raft_.voted_for; }
  std::uint64_t last_index() const;
  std::uint64_t commit_index() const { return raft_.commit_index; }
  std::uint64_t leader_hint() const;
  const std::string& name() const { return self_.address; }
  // One line of the node's state, for failure reports.
  std::string describe() const;

  // Runs `call` on the driver as a step of its own (leadership transfer, membership).
  void post(std::function<void()> call);
  raft* library() { return &raft_; }
  // The entry at `index` of the in-memory log, if the log holds it.
  std::optional<EntryView> entry_view(std::uint64_t index) const;

 private:
  struct Event {
    std::function<void()> call;
  };
  struct Outgoing {
    sim::NodeIndex to = 0;
    Bytes bytes;
    std::uint64_t metadata_sequence = 0;  // leaves only once the metadata is this durable
    raft_io_send* req = nullptr;          // nullptr: a client reply
    raft_io_send_cb cb = nullptr;
  };
  struct DiskOp {
    enum class Kind { kAppend, kTruncate, kSnapshot } kind = Kind::kAppend;
    std::vector<LogRecord> records;  // kAppend
    raft_io_append* append_req = nullptr;
    raft_io_append_cb append_cb = nullptr;
    std::uint64_t truncate_index = 0;  // kTruncate
    SnapshotRecord snapshot;           // kSnapshot
    raft_io_snapshot_put* snapshot_req = nullptr;
    raft_io_snapshot_put_cb snapshot_cb = nullptr;
  };

  // --- fibers
  void drive();
  void receive_loop();
  void send_loop();
  void metadata_loop();
  void disk_loop();
  void recover();
  void bootstrap_disk();
  LogRecord bootstrap_record();
  bool start_library();
  void observe();
  void handle_datagram(sim::NodeIndex from, Bytes bytes);
  void handle_client(sim::NodeIndex from, const std::vector<std::uint8_t>& bytes);
  void reply(sim::NodeIndex to, const ClientReply& r);
  void push_event(std::function<void()> call);
  void write_file(const std::string& name, const Bytes& bytes);
  template <typename... Args>
  void trace(fmt::format_string<Args...> f, Args&&... args) const;

  // --- raft_io methods (the C trampolines in node.cc call these)
 public:
  int io_init(raft_id id, const char* address);
  int io_load(raft_term* term, raft_id* voted_for, raft_snapshot** snapshot, raft_index* start_index,
              raft_entry** entries, size_t* n_entries);
  int io_start(unsigned msecs, raft_io_tick_cb tick, raft_io_recv_cb recv);
  int io_set_term(raft_term term);
  int io_set_vote(raft_id id);
  int io_send(raft_io_send* req, const raft_message* m, raft_io_send_cb cb);
  int io_append(raft_io_append* req, const raft_entry entries[], unsigned n, raft_io_append_cb cb);
  int io_truncate(raft_index index);
  int io_snapshot_put(unsigned trailing, raft_io_snapshot_put* req, const raft_snapshot* s, raft_io_snapshot_put_cb cb);
  int io_snapshot_get(raft_io_snapshot_get* req, raft_io_snapshot_get_cb cb);
  raft_time io_time();
  int io_random(int min, int max);
  void io_close(raft_io_close_cb cb);
  int fsm_apply(const raft_buffer* buf, void** result);
  int fsm_snapshot(raft_buffer* bufs[], unsigned* n_bufs);
  int fsm_restore(raft_buffer* buf);
  static void on_applied(struct raft_apply* req, int status, void* result);

 private:
  ClusterShared& cluster_;
  sim::World& world_;
  const ServerInfo self_;
  const std::uint64_t incarnation_;
  Arena arena_;  // declared before raft_: the library's memory lives in it

  raft raft_{};
  raft_io io_{};
  raft_fsm fsm_{};
  bool started_ = false;
  raft_io_tick_cb tick_cb_ = nullptr;
  raft_io_recv_cb recv_cb_ = nullptr;
  std::int64_t tick_us_ = 0;
  std::int64_t next_tick_us_ = 0;
  raft_time last_time_ms_ = 0;
  unsigned short traced_state_ = 0;  // SIMBUS_LIBRAFT_TRACE: the last state printed
  std::uint64_t traced_term_ = 0;
  std::uint64_t traced_commit_ = 0;

  std::deque<Event> events_;
  sim::ObjectId events_object_ = sim::kNoObject;
  std::deque<Outgoing> outbox_;
  sim::ObjectId outbox_object_ = sim::kNoObject;
  std::deque<DiskOp> disk_ops_;
  sim::ObjectId disk_object_ = sim::kNoObject;

  // Metadata: the latest term and vote, and how much of it is durable.
  Metadata metadata_;                      // sequence counts set_term/set_vote calls
  std::uint64_t metadata_durable_ = 0;     // the highest sequence on disk
  std::uint64_t metadata_writes_ = 0;      // physical writes, alternating slots
  sim::ObjectId metadata_object_ = sim::kNoObject;

  // The log as the io knows it: what it has stored or queued.
  std::uint64_t disk_next_index_ = 1;       // of the next record the log file takes (disk fiber)
  std::uint64_t epoch_ = 0;
  std::map<std::uint64_t, std::uint64_t> record_offsets_;  // stored entries: index -> file offset
  std::uint64_t log_bytes_ = 0;
  std::uint64_t snapshot_writes_ = 0;
  std::optional<SnapshotRecord> snapshot_;  // the newest durable snapshot

  // What recover() found, handed to the library by io_load.
  Metadata loaded_metadata_;
  std::optional<SnapshotRecord> loaded_snapshot_;
  std::vector<LogRecord> loaded_records_;

  KvState kv_;
  std::uint64_t client_requests_ = 0;
  struct PendingApply;
  std::map<std::uint64_t, std::unique_ptr<PendingApply>> pending_;
};

// How many entries the in-memory log holds (its circular buffer may be unallocated).
std::size_t log_entries(const raft_log& log);

// A digest of an entry's type and bytes: the same on the io's, the FSM's and the log's side.
std::uint64_t entry_digest(unsigned type, const void* data, std::size_t len);

}  // namespace simbus::targets::libraft
