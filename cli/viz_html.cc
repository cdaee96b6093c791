#include "cli/viz_html.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "base/hash.h"

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

Json build_model(const VizInput& in) {
  const auto& records = in.result.records;
  const std::size_t n = std::min(records.size(), kVizStepsMax);
  std::size_t nodes = 0;
  for (std::size_t i = 0; i < n; ++i) nodes = std::max<std::size_t>(nodes, records[i].node + 1);

  // Lanes: one per (node, fiber), grouped by node in node order, then by first appearance.
  std::map<std::pair<sim::NodeIndex, sim::FiberId>, std::size_t> lane_of;
  std::vector<std::tuple<sim::NodeIndex, std::size_t, std::string, std::string>> lanes;  // node, first, names
  std::vector<std::size_t> step_lane(n);
  std::vector<StepNames> names(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& r = records[i];
    names[i] = i < in.result.step_lines.size() ? parse_names(in.result.step_lines[i], r) : StepNames{};
    auto key = std::make_pair(r.node, r.actor);
    if (!lane_of.count(key)) {
      lane_of[key] = lanes.size();
      lanes.emplace_back(r.node, i, names[i].node, names[i].fiber);
    }
  }
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
    const std::size_t lane = row[lane_of[{r.node, r.actor}]];
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
        messages.push_back(Json::array({q.front(), i}));
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
    if (hot.empty() && n > 0 && in.result.outcome.status != sim::RunStatus::kOk) {
      hot.push_back(Json::array({n - 1}));
    }
  }
  model["failing"] = hot;
  return model;
}

constexpr const char* kPage = R"HTML(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>simbus viz: @TITLE@</title>
<style>
body { font: 13px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { padding: 8px 12px; background: #fff; border-bottom: 1px solid #ddd; }
header pre { max-height: 40vh; overflow: auto; font: 12px monospace; color: #333; background: #f4f4f4; padding: 6px; }
header h1 { font-size: 15px; margin: 0 0 4px 0; }
.fail { color: #b00020; font-weight: 600; }
.ok { color: #1b5e20; font-weight: 600; }
#controls button { margin-right: 4px; }
#wrap { position: relative; overflow: auto; height: calc(100vh - 110px); min-height: 300px; cursor: grab; }
svg { display: block; }
.lane-label { font: 12px monospace; fill: #333; }
.node-label { font: bold 12px sans-serif; fill: #555; }
.lane-line { stroke: #ccc; stroke-width: 1; }
.node-band { fill: #eef2f7; }
.bar { fill: #5c8ddb; }
.bar.hot { fill: #e53935; }
.step { fill: #1e4fa3; }
.step.hot { fill: #b00020; }
.msg { stroke: #2e7d32; stroke-width: 1.2; fill: none; marker-end: url(#arrow); opacity: .8; }
.lost { stroke: #999; stroke-dasharray: 3 2; stroke-width: 1; }
.fault-span { fill: #ff9800; opacity: .18; }
.fault-mark { fill: #ff6f00; }
.hot-link { stroke: #e53935; stroke-width: 1.5; stroke-dasharray: 4 2; fill: none; }
#tip { position: fixed; pointer-events: none; background: #263238; color: #fff; padding: 4px 8px; border-radius: 3px;
       font: 12px monospace; display: none; white-space: pre; z-index: 10; }
.legend span { margin-right: 14px; }
</style></head>
<body>
<header>
<h1 id="heading"></h1>
<div id="verdict"></div>
<div id="controls"><button id="zin">zoom +</button><button id="zout">zoom &minus;</button><button id="zreset">reset</button>
<span class="legend"> wheel: zoom &middot; drag: pan &middot; hover: details &middot;
<span style="color:#5c8ddb">&#9632; fiber running</span><span style="color:#2e7d32">&rarr; message (inferred pairing)</span>
<span style="color:#ff9800">&#9632; fault</span><span style="color:#e53935">&#9632; failing operation</span></span></div>
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
  if (M.check) {
    verdict.className = 'fail';
    const lines = M.message.split('\n');
    verdict.textContent = 'FAIL ' + M.check + ': ' + lines[0] + '  (status ' + M.status + ', trace-hash ' + M.trace_hash + ')';
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
  const LABEL_W = 190, ROW_H = 26, TOP = 24, DX = 14;
  let scale = 1, offset = 0;
  const lanes = M.lanes, steps = M.steps;
  const width = LABEL_W + Math.max(1, steps.length) * DX + 40;
  const height = TOP + lanes.length * ROW_H + 20;
  svg.setAttribute('width', width); svg.setAttribute('height', height);
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
  const stage = el('g', {id: 'stage'});
  const labels = el('g', {id: 'labels'});
  const xOf = i => LABEL_W + i * DX + DX / 2;
  const yOf = r => TOP + r * ROW_H + ROW_H / 2;
  // node bands and lane lines
  let prevNode = -1;
  lanes.forEach((ln, r) => {
    if (ln.node !== prevNode) {
      let rows = lanes.filter(x => x.node === ln.node).length;
      if ((ln.node % 2) === 0) el('rect', {class: 'node-band', x: 0, y: TOP + r * ROW_H, width: width, height: rows * ROW_H}, stage);
      el('text', {class: 'node-label', x: 4, y: yOf(r) + 4}, labels).textContent = ln.node_name;
      prevNode = ln.node;
    }
    el('line', {class: 'lane-line', x1: LABEL_W, x2: width, y1: yOf(r), y2: yOf(r)}, stage);
    const t = el('text', {class: 'lane-label', x: 92, y: yOf(r) + 4}, labels);
    t.textContent = ln.fiber;
    t.dataset.lane = ln.node_name + '/' + ln.fiber;
  });
  // step axis: outside the scaled stage, redrawn at every zoom so labels stay readable
  const axis = el('g', {id: 'axis'});
  function drawAxis() {
    while (axis.firstChild) axis.removeChild(axis.firstChild);
    let every = 1;
    while (every * DX * scale < 70) every = every < 5 ? every + 1 : every * 2;
    for (let i = 0; i < steps.length; i += every) {
      const x = LABEL_W + (xOf(i) - LABEL_W) * scale + offset;
      if (x < LABEL_W) continue;
      el('text', {x: x, y: 14, 'font-size': 10, 'text-anchor': 'middle', fill: '#777'}, axis,
         'step ' + steps[i][0] + ' at t=' + steps[i][1] + 'us').textContent = steps[i][0];
    }
  }
  // fault spans
  M.fault_spans.forEach(([node, a, b]) => {
    lanes.forEach((ln, r) => {
      if (node !== -1 && ln.node !== node) return;
      el('rect', {class: 'fault-span', x: xOf(a) - DX / 2, y: TOP + r * ROW_H, width: (b - a + 1) * DX, height: ROW_H}, stage,
         (node === -1 ? 'fault window (nemesis/buggify draw until its next step)' : 'fault on node ' + ln.node_name) + ': steps ' + steps[a][0] + '..' + steps[b][0]);
    });
  });
  const hot = new Set();
  M.failing.forEach(group => group.forEach(i => hot.add(i)));
  // running segments as bars
  let segStart = 0;
  for (let i = 1; i <= steps.length; i++) {
    if (i === steps.length || steps[i][2] !== steps[segStart][2]) {
      const r = steps[segStart][2];
      el('rect', {class: 'bar', x: xOf(segStart) - DX / 2 + 1, y: yOf(r) - 6, width: (i - segStart) * DX - 2, height: 12, rx: 2}, stage,
         lanes[r].fiber + ' runs steps ' + steps[segStart][0] + '..' + steps[i - 1][0]);
      segStart = i;
    }
  }
  // steps
  steps.forEach((s, i) => {
    const ln = lanes[s[2]];
    el('circle', {class: 'step' + (hot.has(i) ? ' hot' : ''), cx: xOf(i), cy: yOf(s[2]), r: hot.has(i) ? 5 : 3}, stage,
       'step ' + s[0] + '  t=' + s[1] + 'us\nnode ' + ln.node_name + '  fiber ' + ln.fiber + '\n' + s[3] + '  object ' + s[4] +
       (hot.has(i) ? '\nFAILING OPERATION' : ''));
  });
  M.failing.forEach(group => {
    for (let k = 1; k < group.length; k++) {
      const a = steps[group[k - 1]], b = steps[group[k]];
      el('path', {class: 'hot-link', d: 'M' + xOf(group[k - 1]) + ' ' + yOf(a[2]) + ' L' + xOf(group[k]) + ' ' + yOf(b[2])}, stage,
         'stale write: load at step ' + steps[group[0]][0] + ' overwritten');
    }
  });
  // messages
  M.messages.forEach(([a, b]) => {
    const sa = steps[a], sb = steps[b];
    el('path', {class: 'msg', d: 'M' + xOf(a) + ' ' + yOf(sa[2]) + ' L' + xOf(b) + ' ' + yOf(sb[2])}, stage,
       'message: sent at step ' + sa[0] + ' (t=' + sa[1] + 'us) by ' + lanes[sa[2]].node_name + '/' + lanes[sa[2]].fiber +
       '\nreceived at step ' + sb[0] + ' (t=' + sb[1] + 'us) by ' + lanes[sb[2]].node_name + '/' + lanes[sb[2]].fiber);
  });
  M.unmatched_sends.forEach(([a, to]) => {
    const sa = steps[a];
    el('path', {class: 'lost', d: 'M' + xOf(a) + ' ' + yOf(sa[2]) + ' l' + DX + ' ' + (ROW_H / 2)}, stage,
       'message sent at step ' + sa[0] + ' to node index ' + to + ': never received (dropped or in flight)');
  });
  M.fault_marks.forEach(([i, tag, value]) => {
    const s = steps[i];
    el('path', {class: 'fault-mark', d: 'M' + xOf(i) + ' ' + (yOf(s[2]) - 11) + ' l4 4 l-4 4 l-4 -4 z'}, stage,
       tag + ' choice = ' + value + ' at step ' + s[0]);
  });
  // zoom and pan: scale the stage horizontally, keep labels fixed
  function apply() {
    stage.setAttribute('transform', 'translate(' + (LABEL_W - LABEL_W * scale + offset) + ',0) scale(' + scale + ',1)');
    svg.setAttribute('width', Math.max(wrap.clientWidth, LABEL_W + (width - LABEL_W) * scale + offset));
    drawAxis();
  }
  function zoom(f, cx) {
    const x = (cx === undefined ? wrap.clientWidth / 2 : cx);
    const ns = Math.min(40, Math.max(0.002, scale * f));
    offset = x - (x - offset) * ns / scale;
    scale = ns; apply();
  }
  document.getElementById('zin').onclick = () => zoom(1.5);
  document.getElementById('zout').onclick = () => zoom(1 / 1.5);
  document.getElementById('zreset').onclick = () => { scale = 1; offset = 0; apply(); };
  wrap.addEventListener('wheel', e => { e.preventDefault(); zoom(e.deltaY < 0 ? 1.2 : 1 / 1.2, e.offsetX); }, {passive: false});
  let drag = null;
  wrap.addEventListener('mousedown', e => { drag = {x: e.clientX, o: offset}; wrap.style.cursor = 'grabbing'; });
  window.addEventListener('mouseup', () => { drag = null; wrap.style.cursor = 'grab'; });
  window.addEventListener('mousemove', e => {
    if (drag) { offset = drag.o + e.clientX - drag.x; apply(); }
    const t = e.target && e.target.dataset ? e.target.dataset.tip : null;
    if (t) { tip.textContent = t; tip.style.display = 'block'; tip.style.left = (e.clientX + 12) + 'px'; tip.style.top = (e.clientY + 12) + 'px'; }
    else tip.style.display = 'none';
  });
  // Long executions open fitted to the window (zoom in from the overview).
  const avail = Math.max(200, (wrap.clientWidth || 1200) - LABEL_W - 20);
  if (steps.length * DX > avail) scale = Math.max(0.002, avail / (steps.length * DX));
  apply();
  document.body.dataset.rendered = lanes.length + ' lanes, ' + steps.length + ' steps, ' + M.messages.length + ' messages';
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
