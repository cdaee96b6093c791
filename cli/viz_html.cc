#include "cli/viz_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <vector>

#include "base/hash.h"
#include "checkers/history.h"
#include "checkers/readers.h"

namespace simbus::cli {
namespace {

using Json = nlohmann::ordered_json;

struct StepNames {
  std::string node;
  std::string fiber;
};

// step_lines read "step S t=Tus node NODE fiber FIBER KIND object HEX" (scenarios/scenario.cc).
StepNames parse_names(const std::string& line, const sim::StepRecord& r) {
  StepNames out{fmt::format("node{}", r.node), fmt::format("{:x}", r.actor)};
  const std::string head = fmt::format("step {} t={}us node ", r.step, r.now_us);
  const std::string tail = fmt::format(" {} object {:016x}", sim::action_kind_name(r.kind), r.object);
  if (line.size() < head.size() + tail.size() || line.compare(0, head.size(), head) != 0 ||
      line.compare(line.size() - tail.size(), tail.size(), tail) != 0) {
    return out;
  }
  const std::string middle = line.substr(head.size(), line.size() - head.size() - tail.size());
  const auto sep = middle.find(" fiber ");
  if (sep == std::string::npos) return out;
  out.node = middle.substr(0, sep);
  out.fiber = middle.substr(sep + 7);
  return out;
}

// The network names a send by its link: hash_combine(0x5e4d, from * slots + to)
// (sim/network.cc). Recovers `to` by search over plausible slot counts.
std::optional<sim::NodeIndex> send_destination(sim::ObjectId object, sim::NodeIndex from, std::size_t nodes,
                                               std::map<sim::ObjectId, std::optional<sim::NodeIndex>>* cache) {
  auto it = cache->find(object);
  if (it != cache->end()) return it->second;
  std::optional<sim::NodeIndex> found;
  const std::size_t slots_max = std::max<std::size_t>(nodes * 4, 8);
  for (std::size_t slots = std::max<std::size_t>(nodes, 1); slots <= slots_max && !found; ++slots) {
    for (std::size_t to = 0; to < slots && !found; ++to) {
      if (hash_combine(0x5e4d, from * slots + to) == object) found = static_cast<sim::NodeIndex>(to);
    }
  }
  cache->emplace(object, found);
  return found;
}

bool is_fault_tag(sim::DataTag tag) {
  switch (tag) {
    case sim::DataTag::kNemesis:
    case sim::DataTag::kBuggify:
    case sim::DataTag::kBitFlip:
    case sim::DataTag::kDiskLoss:
    case sim::DataTag::kClock:
      return true;
    default:
      return false;
  }
}

const char* tag_name(sim::DataTag tag) {
  switch (tag) {
    case sim::DataTag::kUser: return "user";
    case sim::DataTag::kLatency: return "latency";
    case sim::DataTag::kDrop: return "drop";
    case sim::DataTag::kDuplicate: return "duplicate";
    case sim::DataTag::kDiskLatency: return "disk-latency";
    case sim::DataTag::kDiskLoss: return "disk-loss";
    case sim::DataTag::kBitFlip: return "bit-flip";
    case sim::DataTag::kNemesis: return "nemesis";
    case sim::DataTag::kBuggify: return "buggify";
    case sim::DataTag::kClock: return "clock";
  }
  return "data";
}

// Whether `text` contains `word` with no name character on either side ("b1" in "b1 and
// b2", not in "b12").
bool names_word(const std::string& text, const std::string& word) {
  auto name_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  };
  if (word.empty()) return false;
  for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool left = at == 0 || !name_char(text[at - 1]);
    const bool right = at + word.size() >= text.size() || !name_char(text[at + word.size()]);
    if (left && right) return true;
  }
  return false;
}

// A message's kind, by the kinds of node at its ends ("b→b": broker to broker, "pub→b"):
// node names without their digits.
std::string link_class(const std::string& from, const std::string& to) {
  auto kind = [](const std::string& name) {
    std::string out;
    for (char c : name) {
      if (c < '0' || c > '9') out += c;
    }
    return out.empty() ? name : out;
  };
  return kind(from) + "→" + kind(to);
}

Json build_model(const VizInput& in) {
  const auto& records = in.result.records;
  const std::size_t n = std::min(records.size(), kVizStepsMax);
  std::size_t nodes = 0;
  for (std::size_t i = 0; i < n; ++i) nodes = std::max<std::size_t>(nodes, records[i].node + 1);

  // Lanes: one per (node, fiber), grouped by node in node order, then by first appearance;
  // fibers with at most kVizShortFiberStepsMax steps (handshakes, one-shot helpers) share
  // one folded lane per node.
  constexpr sim::FiberId kFolded = ~sim::FiberId{0};
  std::map<std::pair<sim::NodeIndex, sim::FiberId>, std::size_t> steps_of;
  for (std::size_t i = 0; i < n; ++i) steps_of[{records[i].node, records[i].actor}] += 1;
  std::map<sim::NodeIndex, std::size_t> folded_count;
  for (const auto& [key, count] : steps_of) {
    if (count <= kVizShortFiberStepsMax) folded_count[key.first] += 1;
  }
  auto lane_key = [&](const sim::StepRecord& r) {
    const bool fold = steps_of.size() > kVizLanesUnfoldedMax && steps_of[{r.node, r.actor}] <= kVizShortFiberStepsMax &&
                      folded_count[r.node] >= 2;
    return std::make_pair(r.node, fold ? kFolded : r.actor);
  };
  std::map<std::pair<sim::NodeIndex, sim::FiberId>, std::size_t> lane_of;
  std::vector<std::tuple<sim::NodeIndex, std::size_t, std::string, std::string>> lanes;  // node, first, names
  std::vector<std::size_t> step_lane(n);
  std::vector<StepNames> names(n);
  std::map<sim::NodeIndex, std::string> node_names;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = records[i];
    names[i] = i < in.result.step_lines.size() ? parse_names(in.result.step_lines[i], r) : StepNames{};
    node_names.emplace(r.node, names[i].node);
    auto key = lane_key(r);
    if (!lane_of.count(key)) {
      lane_of[key] = lanes.size();
      const std::string fiber = key.second == kFolded
                                    ? fmt::format("({} folded)", folded_count[r.node])
                                    : names[i].fiber;
      lanes.emplace_back(r.node, i, names[i].node, fiber);
    }
  }
  auto node_name = [&](sim::NodeIndex node) {
    auto it = node_names.find(node);
    return it != node_names.end() ? it->second : fmt::format("node{}", node);
  };
  std::vector<std::size_t> order(lanes.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return std::get<0>(lanes[a]) < std::get<0>(lanes[b]); });
  std::vector<std::size_t> row(lanes.size());
  for (std::size_t i = 0; i < order.size(); ++i) row[order[i]] = i;

  Json model;
  model["title"] = in.title;
  model["scenario"] = in.request.scenario;
  model["seed"] = in.request.seed;
  std::string params;
  for (const auto& [k, v] : in.result.params) params += fmt::format("{}{}={}", params.empty() ? "" : " ", k, v);
  model["params"] = params;
  model["status"] = sim::run_status_name(in.result.outcome.status);
  model["check"] = in.result.outcome.check;
  model["message"] = in.result.outcome.message;
  model["trace_hash"] = fmt::format("{:016x}", in.result.outcome.trace_hash);
  model["steps_total"] = records.size();
  model["steps_drawn"] = n;
  Json lane_json = Json::array();
  std::map<std::pair<std::string, std::string>, int> seen_names;  // a restarted node's fibers: "boot #2"
  for (std::size_t r = 0; r < order.size(); ++r) {
    const auto& [node, first, node_name, fiber] = lanes[order[r]];
    const int k = ++seen_names[{node_name, fiber}];
    lane_json.push_back(
        {{"node", node}, {"node_name", node_name}, {"fiber", k == 1 ? fiber : fmt::format("{} #{}", fiber, k)}});
  }
  model["lanes"] = lane_json;

  // Steps: [step, time_us, row, kind, object-hex].
  Json steps = Json::array();
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = records[i];
    const std::size_t lane = row[lane_of[lane_key(r)]];
    step_lane[i] = lane;
    steps.push_back(Json::array({r.step, r.now_us, lane, sim::action_kind_name(r.kind), fmt::format("{:x}", r.object)}));
  }
  model["steps"] = steps;

  // Messages: a send paired with the next receive on the destination node (FIFO per
  // destination; drops and reordering can pair them wrongly, the page says so).
  Json messages = Json::array();
  std::map<sim::ObjectId, std::optional<sim::NodeIndex>> dest_cache;
  std::map<sim::NodeIndex, std::deque<std::size_t>> in_flight;  // destination -> send step indices
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = records[i];
    if (r.kind == sim::ActionKind::kNetSend) {
      if (auto to = send_destination(r.object, r.node, nodes, &dest_cache)) in_flight[*to].push_back(i);
    } else if (r.kind == sim::ActionKind::kNetRecv || r.kind == sim::ActionKind::kDeliver) {
      auto& q = in_flight[r.node];
      if (!q.empty()) {
        const std::size_t from = q.front();
        messages.push_back(Json::array({from, i, link_class(node_name(records[from].node), node_name(r.node))}));
        q.pop_front();
      }
    }
  }
  Json unmatched = Json::array();
  for (auto& [to, q] : in_flight) {
    for (std::size_t i : q) unmatched.push_back(Json::array({i, to}));
  }
  model["messages"] = messages;
  model["unmatched_sends"] = unmatched;

  // Faults: fault actions shade their node's lanes until the next fault on that node;
  // fault-like data choices (nemesis, buggify, bit flips, ...) are marked where drawn.
  Json spans = Json::array();
  std::map<sim::NodeIndex, std::size_t> open;
  for (std::size_t i = 0; i < n; ++i) {
    if (records[i].kind != sim::ActionKind::kFault) continue;
    auto it = open.find(records[i].node);
    if (it != open.end()) {
      spans.push_back(Json::array({records[it->second].node, it->second, i}));
      open.erase(it);
    } else {
      open[records[i].node] = i;
    }
  }
  for (auto& [node, start] : open) spans.push_back(Json::array({node, start, n == 0 ? 0 : n - 1}));
  Json marks = Json::array();
  {
    // A data choice drawn while step s ran carries choice.step == s. Fault-like draws
    // (the nemesis choosing a partition, a buggify site firing) open a window until the
    // drawing fiber's next step, when that step draws no fault itself (the heal): the
    // window is shaded across every lane. A draw followed by another drawing step was
    // only a wait before the fault and is marked, not shaded.
    std::map<std::uint64_t, std::size_t> index_of_step;
    for (std::size_t i = 0; i < n; ++i) index_of_step[records[i].step] = i;
    std::vector<bool> draws_fault(n, false);
    for (const sim::Choice& c : in.result.log) {
      if (c.kind != sim::Choice::Kind::kData || !is_fault_tag(c.tag)) continue;
      auto it = index_of_step.find(c.step);
      if (it == index_of_step.end()) continue;
      marks.push_back(Json::array({it->second, tag_name(c.tag), c.value}));
      draws_fault[it->second] = true;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (!draws_fault[i]) continue;
      std::size_t end = n - 1;
      for (std::size_t j = i + 1; j < n; ++j) {
        if (records[j].actor == records[i].actor) {
          end = j;
          break;
        }
      }
      if (end != n - 1 && draws_fault[end]) continue;
      spans.push_back(Json::array({-1, i, end}));
    }
  }
  model["fault_spans"] = spans;
  model["fault_marks"] = marks;

  // Failing operations: a stale write (a fiber loads an object, another fiber writes it,
  // then the first writes what it loaded: the lost update) marks the load, the
  // intervening write and the stale write; otherwise the last step of a failed run.
  Json hot = Json::array();
  if (!in.result.passed()) {
    std::map<std::pair<sim::FiberId, sim::ObjectId>, std::size_t> last_load;
    std::map<sim::ObjectId, std::size_t> last_write;
    for (std::size_t i = 0; i < n; ++i) {
      const auto& r = records[i];
      if (r.object == sim::kNoObject) continue;
      if (r.kind == sim::ActionKind::kLoad) {
        last_load[{r.actor, r.object}] = i;
      } else if (r.kind == sim::ActionKind::kStore) {
        auto l = last_load.find({r.actor, r.object});
        auto w = last_write.find(r.object);
        if (l != last_load.end() && w != last_write.end() && w->second > l->second &&
            records[w->second].actor != r.actor) {
          hot.push_back(Json::array({l->second, w->second, i}));
        }
        last_write[r.object] = i;
        last_load.erase({r.actor, r.object});
      } else if (r.kind == sim::ActionKind::kRmw) {
        last_write[r.object] = i;
      }
    }
    // Otherwise the failure mark (model.failure) shows where the check failed.
  }
  model["failing"] = hot;

  // Node and link faults as the world applied them.
  Json node_faults = Json::array();
  Json link_faults = Json::array();
  for (const sim::FaultRecord& f : in.result.fault_records) {
    const std::string what = f.what;
    if (what == "down" || what == "clog") {
      link_faults.push_back(Json::array({f.time_us, what, node_name(f.a), node_name(f.b), f.until_us}));
    } else if (what == "heal") {
      link_faults.push_back(Json::array({f.time_us, what, "", "", 0}));
    } else {
      node_faults.push_back(Json::array({f.time_us, what, node_name(f.a)}));
    }
  }
  model["node_faults"] = node_faults;
  model["link_faults"] = link_faults;
  model["end_us"] = in.result.outcome.now_us;

  // Where the failure was detected, and what its message names: nodes (lanes), a window
  // of virtual time, operations (as the checkers format them).
  Json failure = Json::object();
  if (!in.result.passed()) {
    const std::string& message = in.result.outcome.message;
    failure["time_us"] = in.failure_time_us;
    failure["source"] = in.failure_source;
    std::smatch m;
    if (std::regex_search(message, m, std::regex(R"(window (\d+)\.\.(\d+) us)"))) {
      failure["window"] = Json::array({std::stoll(m[1]), std::stoll(m[2])});
    } else if (std::regex_search(message, m, std::regex(R"((?:at|invoked at) (\d+) us)"))) {
      failure["window"] = Json::array({std::stoll(m[1]), std::stoll(m[1])});
    }
    Json named = Json::array();
    for (const auto& [node, name] : node_names) {
      if (names_word(message, name)) named.push_back(name);
    }
    failure["nodes"] = named;
  }
  model["failure"] = failure;

  // Client operations (Jepsen style): one row per process, invoke -> completion.
  Json ops = Json::array();
  if (!in.result.history_jsonl.empty()) {
    try {
      const checkers::History history = checkers::read_jsonl(in.result.history_jsonl, "history");
      for (const checkers::Operation& op : history.operations) {
        const std::string text = checkers::format_operation(op);
        // An operation the failure's message quotes (its call, without the process).
        const auto call = text.find(' ');
        const bool named = call != std::string::npos &&
                           in.result.outcome.message.find(text.substr(call + 1)) != std::string::npos;
        ops.push_back(Json::array({op.process, op.invoke_time,
                                   op.status == checkers::Status::info ? -1 : op.complete_time,
                                   checkers::status_name(op.status), text, named}));
      }
    } catch (const std::exception&) {
      // A history the reader refuses is not drawn (the steps still are).
    }
  }
  model["ops"] = ops;
  return model;
}

constexpr const char* kPage = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>simbus viz: @TITLE@</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { padding: 6px 12px; background: #fff; border-bottom: 1px solid #ddd; }
header pre { max-height: 30vh; overflow: auto; font: 12px monospace; color: #333; background: #f4f4f4; padding: 6px; }
header h1 { font-size: 15px; margin: 0 0 2px 0; }
.fail { color: #b00020; font-weight: 600; }
.ok { color: #1b5e20; font-weight: 600; }
#controls button { margin-right: 4px; }
#kinds label { margin-right: 8px; font-size: 12px; }
#wrap { position: relative; overflow: auto; height: calc(100vh - 130px); min-height: 300px; cursor: grab; }
svg { display: block; }
.lane-label { font: 12px monospace; fill: #333; }
.lane-label.named { fill: #b00020; font-weight: bold; }
.node-label { font: bold 12px sans-serif; fill: #555; }
.node-label.named { fill: #b00020; }
.section-label { font: bold 12px sans-serif; fill: #333; }
.lane-line { stroke: #ccc; stroke-width: 1; }
.node-band { fill: #eef2f7; }
.bar { fill: #5c8ddb; }
.step { fill: #1e4fa3; }
.step.hot { fill: #b00020; }
.step.named { fill: #e53935; }
.msg { stroke: #2e7d32; stroke-width: 1; fill: none; marker-end: url(#arrow); opacity: .7; }
.lost { stroke: #999; stroke-dasharray: 3 2; stroke-width: 1; }
.crashed { fill: #37474f; opacity: .35; }
.paused { fill: #fbc02d; opacity: .35; }
.link-down { fill: #ef6c00; }
.link-clog { fill: #ffb74d; }
.fault-mark { fill: #ff6f00; }
.hot-link { stroke: #e53935; stroke-width: 1.5; stroke-dasharray: 4 2; fill: none; }
.op { stroke: #555; stroke-width: .5; }
.op.ok { fill: #81c784; } .op.fail { fill: #e0e0e0; } .op.info { fill: #ffe082; }
.op.named { stroke: #b00020; stroke-width: 2.5; }
.window { fill: #e53935; opacity: .12; }
#failure-line { stroke: #d50000; stroke-width: 2; }
#failure-flag { fill: #d50000; }
.failure-text { font: bold 12px sans-serif; fill: #d50000; }
.tick { font-size: 10px; fill: #777; }
#tip { position: fixed; pointer-events: none; background: #263238; color: #fff; padding: 4px 8px; border-radius: 3px;
       font: 12px monospace; display: none; white-space: pre; z-index: 10; }
.legend span { margin-right: 12px; }
</style></head>
<body>
<header>
<h1 id="heading"></h1>
<div id="verdict"></div>
<div id="controls"><button id="zin">zoom +</button><button id="zout">zoom &minus;</button><button id="zreset">fit</button><button id="zfail">go to failure</button>
<span class="legend"> x: virtual time &middot; wheel: zoom &middot; drag: pan &middot; hover: details &middot;
<span style="color:#5c8ddb">&#9632; fiber running</span><span style="color:#2e7d32">&rarr; message</span>
<span style="color:#37474f">&#9632; node crashed</span><span style="color:#fbc02d">&#9632; paused</span><span style="color:#ef6c00">&#9632; link cut</span>
<span style="color:#81c784">&#9632; op ok</span><span style="color:#ffe082">&#9632; op unknown</span><span style="color:#d50000">| failure detected</span></span></div>
<div id="kinds">messages: </div>
</header>
<div id="wrap"><svg id="viz" xmlns="http://www.w3.org/2000/svg"></svg></div>
<div id="tip"></div>
<script id="model" type="application/json">@MODEL@</script>
<script>
(function () {
  const M = JSON.parse(document.getElementById('model').textContent);
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.getElementById('viz');
  const wrap = document.getElementById('wrap');
  const tip = document.getElementById('tip');
  document.getElementById('heading').textContent =
    'simbus viz: ' + M.scenario + ' seed ' + M.seed + (M.params ? ' (' + M.params + ')' : '') + ' - ' + M.title;
  const verdict = document.getElementById('verdict');
  const F = M.failure || {};
  if (M.check) {
    verdict.className = 'fail';
    const lines = M.message.split('\n');
    verdict.textContent = 'FAIL ' + M.check + ': ' + lines[0] +
      (F.time_us >= 0 ? '  [detected at ' + F.time_us + ' us, ' + F.source + ']' : '') +
      '  (status ' + M.status + ', trace-hash ' + M.trace_hash + ')';
    if (lines.length > 1) {
      const more = document.createElement('details');
      const sum = document.createElement('summary');
      sum.textContent = 'the whole message (' + lines.length + ' lines)';
      const pre = document.createElement('pre');
      pre.textContent = M.message;
      more.appendChild(sum); more.appendChild(pre);
      verdict.appendChild(more);
    }
  } else {
    verdict.className = 'ok';
    verdict.textContent = 'result: ' + M.status + '  (trace-hash ' + M.trace_hash + ')';
  }
  if (M.steps_drawn < M.steps_total) verdict.textContent += '  [first ' + M.steps_drawn + ' of ' + M.steps_total + ' steps drawn]';
  const LABEL_W = 200, ROW_H = 22, AXIS_H = 30;
  const lanes = M.lanes, steps = M.steps;
  const named = new Set(F.nodes || []);
  // Links that were ever cut or clogged: one row each, above the fibers.
  const linkRows = [];
  const linkIndex = {};
  M.link_faults.forEach(([t, what, a, b]) => {
    if (what === 'heal') return;
    const k = a + '\u2192' + b;
    if (!(k in linkIndex)) { linkIndex[k] = linkRows.length; linkRows.push(k); }
  });
  const procs = [...new Set(M.ops.map(o => o[0]))].sort((a, b) => a - b);
  const LINKS_TOP = AXIS_H + (linkRows.length ? 16 : 0);
  const LANES_TOP = LINKS_TOP + linkRows.length * 12 + (linkRows.length ? 8 : 0);
  const OPS_TOP = LANES_TOP + lanes.length * ROW_H + (procs.length ? 24 : 0);
  const height = OPS_TOP + procs.length * ROW_H + 20;
  const endUs = Math.max(1, M.end_us, steps.length ? steps[steps.length - 1][1] : 1,
                         ...M.ops.map(o => Math.max(o[1], o[2])));
  let pxPerUs = 1, offset = 0;  // x = LABEL_W + t * pxPerUs + offset
  function fit() { pxPerUs = Math.max(1e-6, ((wrap.clientWidth || 1200) - LABEL_W - 30) / endUs); offset = 0; }
  fit();
  const X = t => LABEL_W + t * pxPerUs + offset;
  function el(tag, attrs, parent, title) {
    const e = document.createElementNS(NS, tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (title) { e.dataset.tip = title; }
    (parent || svg).appendChild(e);
    return e;
  }
  const defs = el('defs', {});
  const mk = el('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: 'auto-start-reverse'}, defs);
  el('path', {d: 'M 0 0 L 10 5 L 0 10 z', fill: '#2e7d32'}, mk);
  const yOf = r => LANES_TOP + r * ROW_H + ROW_H / 2;
  // Message kinds, each with a checkbox.
  const kinds = [...new Set(M.messages.map(m => m[2]))].sort();
  const hiddenKinds = new Set();
  const kindsDiv = document.getElementById('kinds');
  kinds.forEach(k => {
    const label = document.createElement('label');
    const box = document.createElement('input');
    // Kinds with very many messages (Raft's heartbeats) start hidden: the rest stay readable.
    const count = M.messages.filter(m => m[2] === k).length;
    box.type = 'checkbox'; box.checked = count <= 500; box.dataset.kind = k;
    if (!box.checked) hiddenKinds.add(k);
    box.onchange = () => { if (box.checked) hiddenKinds.delete(k); else hiddenKinds.add(k); draw(); };
    label.appendChild(box); label.appendChild(document.createTextNode(' ' + k + ' (' + M.messages.filter(m => m[2] === k).length + ')'));
    kindsDiv.appendChild(label);
  });
  if (!kinds.length) kindsDiv.appendChild(document.createTextNode('none'));
  function niceStep(us) {
    const raw = 90 / pxPerUs;
    const p = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }
  function fmtUs(t) { return t >= 1e6 ? (t / 1e6).toFixed(t % 1e6 ? 3 : 0) + ' s' : t >= 1e3 ? (t / 1e3).toFixed(t % 1e3 ? 1 : 0) + ' ms' : t + ' us'; }
  let failureFlag = null;
  function draw() {
    while (svg.lastChild !== defs) svg.removeChild(svg.lastChild);
    const width = Math.max(wrap.clientWidth || 1200, X(endUs) + 30);
    svg.setAttribute('width', width); svg.setAttribute('height', height);
    const stage = el('g', {id: 'stage'});
    // node bands and lane lines
    let prevNode = -1;
    lanes.forEach((ln, r) => {
      if (ln.node !== prevNode) {
        const rows = lanes.filter(x => x.node === ln.node).length;
        if ((ln.node % 2) === 0) el('rect', {class: 'node-band', x: 0, y: LANES_TOP + r * ROW_H, width: width, height: rows * ROW_H}, stage);
        prevNode = ln.node;
      }
      el('line', {class: 'lane-line', x1: LABEL_W, x2: width, y1: yOf(r), y2: yOf(r)}, stage);
    });
    // axis in virtual time
    const every = niceStep();
    const t0 = Math.max(0, Math.floor((-offset / pxPerUs) / every) * every);
    for (let t = t0; X(t) < width; t += every) {
      if (X(t) < LABEL_W) continue;
      el('line', {x1: X(t), x2: X(t), y1: AXIS_H - 6, y2: height, stroke: '#eee'}, stage);
      el('text', {class: 'tick', x: X(t), y: 14, 'text-anchor': 'middle'}, stage).textContent = fmtUs(t);
    }
    // the failure's window, then node faults
    if (F.window) {
      el('rect', {class: 'window', x: X(F.window[0]) - 2, y: AXIS_H, width: Math.max(4, (F.window[1] - F.window[0]) * pxPerUs + 4), height: height - AXIS_H}, stage,
         'the window the failure names: ' + F.window[0] + '..' + F.window[1] + ' us');
    }
    const since = {};
    const faultSpans = [];
    M.node_faults.forEach(([t, what, node]) => {
      if (what === 'crash' || what === 'pause') since[node + what] = t;
      const open = what === 'restart' ? 'crash' : what === 'resume' ? 'pause' : null;
      if (open && (node + open) in since) { faultSpans.push([node, open, since[node + open], t]); delete since[node + open]; }
    });
    for (const k in since) { const kind = k.endsWith('crash') ? 'crash' : 'pause'; faultSpans.push([k.slice(0, k.length - kind.length), kind, since[k], endUs]); }
    faultSpans.forEach(([node, kind, a, b]) => {
      lanes.forEach((ln, r) => {
        if (ln.node_name !== node) return;
        el('rect', {class: kind === 'crash' ? 'crashed' : 'paused', x: X(a), y: LANES_TOP + r * ROW_H, width: Math.max(2, (b - a) * pxPerUs), height: ROW_H}, stage,
           node + (kind === 'crash' ? ' crashed' : ' paused') + ' ' + a + '..' + b + ' us');
      });
    });
    // links: cut from "down" to the next heal; clogs to their end
    if (linkRows.length) el('text', {class: 'section-label', x: 4, y: LINKS_TOP - 4}, stage).textContent = 'links cut';
    const downSince = {};
    const heals = M.link_faults.filter(f => f[1] === 'heal').map(f => f[0]);
    M.link_faults.forEach(([t, what, a, b, until]) => {
      if (what === 'heal') return;
      const k = a + '\u2192' + b, row = linkIndex[k];
      const end = what === 'clog' ? until : (heals.find(h => h >= t) ?? endUs);
      el('rect', {class: what === 'clog' ? 'link-clog' : 'link-down', x: X(t), y: LINKS_TOP + row * 12, width: Math.max(2, (end - t) * pxPerUs), height: 9}, stage,
         (what === 'clog' ? 'link clogged ' : 'link cut ') + k + ' ' + t + '..' + end + ' us');
    });
    linkRows.forEach((k, row) => { el('text', {class: 'tick', x: LABEL_W - 6, y: LINKS_TOP + row * 12 + 8, 'text-anchor': 'end'}, stage).textContent = k; });
    // running segments as bars
    const hot = new Set();
    M.failing.forEach(group => group.forEach(i => hot.add(i)));
    let segStart = 0;
    for (let i = 1; i <= steps.length; i++) {
      if (i === steps.length || steps[i][2] !== steps[segStart][2]) {
        const r = steps[segStart][2];
        const a = steps[segStart][1], b = steps[i - 1][1];
        el('rect', {class: 'bar', x: X(a) - 1, y: yOf(r) - 5, width: Math.max(2, (b - a) * pxPerUs + 2), height: 10, rx: 2}, stage,
           lanes[r].fiber + ' runs steps ' + steps[segStart][0] + '..' + steps[i - 1][0] + ' (' + a + '..' + b + ' us)');
        segStart = i;
      }
    }
    steps.forEach((s, i) => {
      const ln = lanes[s[2]];
      const inWindow = F.window && named.has(ln.node_name) && s[1] >= F.window[0] && s[1] <= F.window[1];
      if (!hot.has(i) && !inWindow && pxPerUs * 1000 < 2) return;  // too dense to draw each step
      el('circle', {class: 'step' + (hot.has(i) ? ' hot' : inWindow ? ' named' : ''), cx: X(s[1]), cy: yOf(s[2]), r: hot.has(i) || inWindow ? 4 : 2}, stage,
         'step ' + s[0] + '  t=' + s[1] + 'us\nnode ' + ln.node_name + '  fiber ' + ln.fiber + '\n' + s[3] + '  object ' + s[4]);
    });
    M.failing.forEach(group => {
      for (let k = 1; k < group.length; k++) {
        const a = steps[group[k - 1]], b = steps[group[k]];
        el('path', {class: 'hot-link', d: 'M' + X(a[1]) + ' ' + yOf(a[2]) + ' L' + X(b[1]) + ' ' + yOf(b[2])}, stage,
           'stale write: load at step ' + steps[group[0]][0] + ' overwritten');
      }
    });
    // messages
    M.messages.forEach(([a, b, kind]) => {
      if (hiddenKinds.has(kind)) return;
      const sa = steps[a], sb = steps[b];
      el('path', {class: 'msg', 'data-kind': kind, d: 'M' + X(sa[1]) + ' ' + yOf(sa[2]) + ' L' + X(sb[1]) + ' ' + yOf(sb[2])}, stage,
         kind + ' message: sent at step ' + sa[0] + ' (t=' + sa[1] + 'us) by ' + lanes[sa[2]].node_name + '/' + lanes[sa[2]].fiber +
         '\nreceived at step ' + sb[0] + ' (t=' + sb[1] + 'us) by ' + lanes[sb[2]].node_name + '/' + lanes[sb[2]].fiber);
    });
    M.unmatched_sends.forEach(([a, to]) => {
      const sa = steps[a];
      el('path', {class: 'lost', d: 'M' + X(sa[1]) + ' ' + yOf(sa[2]) + ' l8 ' + (ROW_H / 2)}, stage,
         'message sent at step ' + sa[0] + ' to node index ' + to + ': never received (dropped or in flight)');
    });
    M.fault_marks.forEach(([i, tag, value]) => {
      const s = steps[i];
      el('path', {class: 'fault-mark', d: 'M' + X(s[1]) + ' ' + (yOf(s[2]) - 10) + ' l4 4 l-4 4 l-4 -4 z'}, stage,
         tag + ' choice = ' + value + ' at step ' + s[0] + ' (t=' + s[1] + 'us)');
    });
    // client operations, Jepsen style
    if (procs.length) el('text', {class: 'section-label', x: 4, y: OPS_TOP - 6}, stage).textContent = 'client operations';
    M.ops.forEach(([p, a, b, status, text, isNamed]) => {
      const r = procs.indexOf(p);
      const end = b < 0 ? endUs : b;
      el('rect', {class: 'op ' + status + (isNamed ? ' named' : ''), x: X(a), y: OPS_TOP + r * ROW_H + 3, width: Math.max(3, (end - a) * pxPerUs), height: ROW_H - 6}, stage,
         text + '\n' + status + ': invoked ' + a + ' us' + (b < 0 ? ', never completed' : ', completed ' + b + ' us'));
    });
    // labels over a white column, so the stage scrolls under them
    const labels = el('g', {id: 'labels'});
    el('rect', {x: 0, y: 0, width: LABEL_W, height: height, fill: '#fafafa'}, labels);
    prevNode = -1;
    lanes.forEach((ln, r) => {
      if (ln.node !== prevNode) {
        el('text', {class: 'node-label' + (named.has(ln.node_name) ? ' named' : ''), x: 4, y: yOf(r) + 4}, labels).textContent = ln.node_name;
        prevNode = ln.node;
      }
      const t = el('text', {class: 'lane-label' + (named.has(ln.node_name) ? ' named' : ''), x: 70, y: yOf(r) + 4}, labels);
      t.textContent = ln.fiber.length > 18 ? ln.fiber.slice(0, 17) + '\u2026' : ln.fiber;
      t.dataset.lane = ln.node_name + '/' + ln.fiber;
      t.dataset.tip = ln.node_name + '/' + ln.fiber;
    });
    linkRows.forEach((k, row) => { el('text', {class: 'tick', x: LABEL_W - 6, y: LINKS_TOP + row * 12 + 8, 'text-anchor': 'end'}, labels).textContent = k; });
    if (linkRows.length) el('text', {class: 'section-label', x: 4, y: LINKS_TOP - 4}, labels).textContent = 'links cut';
    if (procs.length) el('text', {class: 'section-label', x: 4, y: OPS_TOP - 6}, labels).textContent = 'client operations';
    procs.forEach((p, r) => { el('text', {class: 'lane-label', x: 70, y: OPS_TOP + r * ROW_H + ROW_H / 2 + 4}, labels).textContent = 'process ' + p; });
    // the failure, where it was detected: a line over everything and a flag on the axis
    failureFlag = null;
    if (F.time_us >= 0) {
      const x = X(F.time_us);
      el('line', {id: 'failure-line', x1: x, x2: x, y1: AXIS_H - 10, y2: height}, svg,
         'FAIL ' + M.check + ' detected at ' + F.time_us + ' us (' + F.source + ')');
      failureFlag = el('path', {id: 'failure-flag', d: 'M' + x + ' ' + (AXIS_H - 2) + ' l-7 -12 l14 0 z'}, svg,
         'FAIL ' + M.check + ' detected at ' + F.time_us + ' us (' + F.source + ')');
      el('text', {class: 'failure-text', x: x + 9, y: AXIS_H - 4}, svg).textContent = 'FAIL ' + M.check + ' @ ' + fmtUs(F.time_us);
    }
  }
  function zoom(f, cx) {
    const x = (cx === undefined ? (wrap.clientWidth || 1200) / 2 : cx);
    const t = (x - LABEL_W - offset) / pxPerUs;
    pxPerUs = Math.min(200, Math.max(1e-7, pxPerUs * f));
    offset = x - LABEL_W - t * pxPerUs;
    draw();
  }
  function goToFailure() {
    if (!(F.time_us >= 0)) return;
    const span = Math.max(2000, F.window ? (F.time_us - F.window[0]) * 2 : 0, F.time_us / 20);
    pxPerUs = Math.max(1e-7, ((wrap.clientWidth || 1200) - LABEL_W - 30) / (span * 1.5));
    offset = (wrap.clientWidth || 1200) * 0.6 - LABEL_W - F.time_us * pxPerUs;
    draw();
  }
  document.getElementById('zin').onclick = () => zoom(1.5);
  document.getElementById('zout').onclick = () => zoom(1 / 1.5);
  document.getElementById('zreset').onclick = () => { fit(); draw(); };
  document.getElementById('zfail').onclick = goToFailure;
  wrap.addEventListener('wheel', e => { e.preventDefault(); zoom(e.deltaY < 0 ? 1.2 : 1 / 1.2, e.offsetX); }, {passive: false});
  let drag = null;
  wrap.addEventListener('mousedown', e => { drag = {x: e.clientX, o: offset}; wrap.style.cursor = 'grabbing'; });
  window.addEventListener('mouseup', () => { drag = null; wrap.style.cursor = 'grab'; });
  window.addEventListener('mousemove', e => {
    if (drag) { offset = drag.o + e.clientX - drag.x; draw(); }
    const t = e.target && e.target.dataset ? e.target.dataset.tip : null;
    if (t) { tip.textContent = t; tip.style.display = 'block'; tip.style.left = (e.clientX + 12) + 'px'; tip.style.top = (e.clientY + 12) + 'px'; }
    else tip.style.display = 'none';
  });
  draw();  // opens fitted: the whole run, the failure mark in view
  const folded = lanes.filter(l => l.fiber.startsWith('(')).length;
  document.body.dataset.rendered = lanes.length + ' lanes, ' + steps.length + ' steps, ' + M.messages.length + ' messages, ' +
    M.ops.length + ' operations, ' + folded + ' folded';
  if (failureFlag) {
    const b = failureFlag.getBoundingClientRect();
    const inView = b.width > 0 && b.left >= 0 && b.top >= 0 && b.right <= window.innerWidth && b.bottom <= window.innerHeight;
    document.body.dataset.failureMark = (inView ? 'in view' : 'out of view') + ' at ' + Math.round(b.left) + ',' + Math.round(b.top);
  }
})();
</script>
</body></html>
)HTML";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  std::size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string render_viz_html(const VizInput& input) {
  // JSON inside <script>: "</" must not appear, or it would close the element.
  const std::string model = replace_all(build_model(input).dump(), "</", "<\\/");
  std::string page = kPage;
  const auto at = page.find("@MODEL@");
  page.replace(at, 7, model);
  const auto title_at = page.find("@TITLE@");
  page.replace(title_at, 7, html_escape(input.title));
  return page;
}

}  // namespace simbus::cli
