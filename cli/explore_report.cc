#include "cli/explore_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "base/hash.h"
#include "base/input_file.h"
#include "cli/command.h"
#include "cli/options.h"

namespace simbus::cli {
std::string params_text(const ExploreSummary& summary) {
  std::string out;
  for (const auto& [k, v] : summary.params) out += fmt::format("{}{}={}", out.empty() ? "" : " ", k, v);
  return out;
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 forbids most control characters even when escaped.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') {
          out += '?';
        } else {
          out += c;
        }
    }
  }
  return out;
}

namespace {

using Json = nlohmann::ordered_json;

std::string hex(std::uint64_t v) { return fmt::format("{:016x}", v); }

bool parse_hex(const std::string& text, std::uint64_t* out) {
  if (text.empty() || text.size() > 16) return false;
  auto r = std::from_chars(text.data(), text.data() + text.size(), *out, 16);
  return r.ec == std::errc() && r.ptr == text.data() + text.size();
}


}  // namespace

void ExploreSummary::normalize() {
  std::stable_sort(failures.begin(), failures.end(), [](const FailureRecord& a, const FailureRecord& b) {
    return std::tie(a.seed, a.execution) < std::tie(b.seed, b.execution);
  });
}

std::vector<FailureGroup> ExploreSummary::groups() const {
  // Groups in the order of their first failure, which is the (seed, execution) order.
  std::vector<FailureGroup> out;
  std::map<std::string, std::size_t> index;  // signature key -> position in out
  for (const FailureRecord& f : failures) {
    Signature sig = f.signature();
    auto it = index.find(sig.key());
    if (it == index.end()) {
      index.emplace(sig.key(), out.size());
      FailureGroup g;
      g.signature = std::move(sig);
      g.check = f.check;
      g.message = f.message;
      g.count = 1;
      g.first_seed = f.seed;
      g.reproduce = f.reproduce;
      g.smallest_seed = f.seed;
      g.smallest_choices = f.choices;
      g.smallest_reproduce = f.reproduce;
      g.wall_us = f.wall_us;
      out.push_back(std::move(g));
    } else {
      FailureGroup& g = out[it->second];
      g.count += 1;
      g.wall_us += f.wall_us;
      // Fewest choices wins; 0 is "unknown" and never wins over a known count.
      if (f.choices != 0 && (g.smallest_choices == 0 || f.choices < g.smallest_choices)) {
        g.smallest_seed = f.seed;
        g.smallest_choices = f.choices;
        g.smallest_reproduce = f.reproduce;
      }
    }
  }
  return out;
}

std::uint64_t schedule_hash(const sim::ChoiceLog& log) {
  std::uint64_t h = hash_combine(0, log.size());
  for (const sim::Choice& c : log) {
    h = hash_combine(h, static_cast<std::uint64_t>(c.kind) | (static_cast<std::uint64_t>(c.tag) << 8));
    h = hash_combine(h, c.actor);
    h = hash_combine(h, (static_cast<std::uint64_t>(c.seq) << 32) | c.index);
    h = hash_combine(h, (static_cast<std::uint64_t>(c.options) << 32) ^ c.value);
    h = hash_combine(h, c.value);
  }
  return h;
}

std::string format_summary(const ExploreSummary& s) {
  std::string out;
  out += fmt::format("executions: {}\n", s.executions);
  out += fmt::format("failures: {}\n", s.failures.size());
  out += fmt::format("distinct-schedules: {}\n", s.distinct_schedules());
  if (s.enumerating) {
    out += fmt::format("exhausted: {}\n", s.exhausted ? "yes" : "no");
    out += fmt::format("blocked: {}\n", s.blocked);
  }
  if (!s.complete) out += fmt::format("stopped: {}\n", s.stopped_by.empty() ? "early" : s.stopped_by);
  const auto groups = s.groups();
  if (!groups.empty()) out += fmt::format("signatures: {}\n", groups.size());
  std::size_t n = 0;
  for (const FailureGroup& g : groups) {
    n += 1;
    out += fmt::format("group {}/{}: {} failing execution{}, first seed {}", n, groups.size(), g.count,
                       g.count == 1 ? "" : "s", g.first_seed);
    if (g.smallest_choices != 0) {
      out += fmt::format(", fewest choices seed {} ({})", g.smallest_seed, g.smallest_choices);
    }
    out += "\n";
    out += fmt::format("signature {}: {}{}{}: {}\n", g.signature.id(), g.signature.check,
                       g.signature.site.empty() ? "" : " at ", g.signature.site, g.signature.pattern);
    out += fmt::format("FAIL {}: {}\n", g.check, g.message);
    if (!g.reproduce.empty()) out += fmt::format("reproduce: {}\n", g.reproduce);
    if (!g.smallest_reproduce.empty() && g.smallest_reproduce != g.reproduce) {
      out += fmt::format("reproduce-fewest-choices: {}\n", g.smallest_reproduce);
    }
  }
  return out;
}

std::string to_json(const ExploreSummary& s) { return to_json_value(s).dump(2) + "\n"; }

void add_task_result(ExploreSummary* summary, const TaskResult& t, std::uint64_t seed,
                     const scenarios::RunRequest& request) {
  summary->executions += 1;
  summary->wall_us += t.wall_us;
  if (t.status != "crashed" && t.status != "hung") summary->schedule_hashes.insert(t.schedule_hash);
  if (t.code == kExitOk) return;
  FailureRecord f;
  f.seed = seed;
  f.execution = seed - summary->seed_start;
  f.status = t.status;
  f.check = t.check;
  f.message = t.message;
  f.site = t.site;
  f.choices = t.choices;
  f.wall_us = t.wall_us;
  f.reproduce = t.reproduce;
  if (f.reproduce.empty()) {  // a crashed or hung worker: the seed alone brings it back
    scenarios::RunRequest r = request;
    r.seed = seed;
    f.reproduce = scenarios::reproduce_command(program_path(), r, scenarios::RunResult{});
  }
  f.trace_hash = t.trace_hash;
  summary->failures.push_back(std::move(f));
}

Json to_json_value(const ExploreSummary& s) {
  Json j;
  j["scenario"] = s.scenario;
  j["strategy"] = s.strategy;
  j["bug"] = s.bug;
  Json params = Json::object();
  for (const auto& [k, v] : s.params) params[k] = v;
  j["params"] = params;
  j["seed_start"] = s.seed_start;
  j["runs"] = s.runs ? Json(*s.runs) : Json(nullptr);
  j["shard"] = fmt::format("{}/{}", s.shard_index, s.shard_count);
  j["executions"] = s.executions;
  j["blocked"] = s.blocked;
  j["enumerating"] = s.enumerating;
  j["exhausted"] = s.exhausted;
  j["complete"] = s.complete;
  j["stopped_by"] = s.stopped_by;
  Json failures = Json::array();
  for (const FailureRecord& f : s.failures) {
    failures.push_back({{"seed", f.seed},
                        {"execution", f.execution},
                        {"status", f.status},
                        {"check", f.check},
                        {"message", f.message},
                        {"site", f.site},
                        {"signature", f.signature().id()},
                        {"reproduce", f.reproduce},
                        {"trace_hash", hex(f.trace_hash)},
                        {"choices", f.choices},
                        {"wall_us", f.wall_us}});
  }
  j["failures"] = failures;
  Json groups = Json::array();
  for (const FailureGroup& g : s.groups()) {
    groups.push_back({{"signature", g.signature.id()},
                      {"check", g.check},
                      {"site", g.signature.site},
                      {"pattern", g.signature.pattern},
                      {"message", g.message},
                      {"count", g.count},
                      {"first_seed", g.first_seed},
                      {"reproduce", g.reproduce},
                      {"fewest_choices_seed", g.smallest_seed},
                      {"fewest_choices", g.smallest_choices},
                      {"fewest_choices_reproduce", g.smallest_reproduce}});
  }
  j["groups"] = groups;
  j["distinct_schedules"] = s.distinct_schedules();
  Json hashes = Json::array();
  for (std::uint64_t h : s.schedule_hashes) hashes.push_back(hex(h));
  j["schedule_hashes"] = hashes;
  j["wall_us"] = s.wall_us;
  return j;
}

ExploreSummary from_json(const std::string& text, const std::string& path) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // Not only parse_error: a number too large for a double is out_of_range (found by fuzzing).
    throw UsageError(fmt::format("{}: not valid JSON: {}", path, e.what()));
  }
  // Every field is checked for presence and type, so a wrong file is an input error.
  auto need = [&](const Json& obj, const char* key, const char* where) -> const Json& {
    if (!obj.is_object() || !obj.contains(key)) throw UsageError(fmt::format("{}: {} has no '{}'", path, where, key));
    return obj.at(key);
  };
  auto str = [&](const Json& obj, const char* key, const char* where) {
    const Json& v = need(obj, key, where);
    if (!v.is_string()) throw UsageError(fmt::format("{}: {}: '{}' is not a string", path, where, key));
    return v.get<std::string>();
  };
  auto num = [&](const Json& obj, const char* key, const char* where) {
    const Json& v = need(obj, key, where);
    if (!v.is_number_unsigned()) {
      throw UsageError(fmt::format("{}: {}: '{}' is not a non-negative integer", path, where, key));
    }
    return v.get<std::uint64_t>();
  };
  auto boolean = [&](const Json& obj, const char* key, const char* where) {
    const Json& v = need(obj, key, where);
    if (!v.is_boolean()) throw UsageError(fmt::format("{}: {}: '{}' is not true/false", path, where, key));
    return v.get<bool>();
  };
  if (!j.is_object()) throw UsageError(fmt::format("{}: not an explore report (expected a JSON object)", path));
  ExploreSummary s;
  const char* top = "the report";
  s.scenario = str(j, "scenario", top);
  s.strategy = str(j, "strategy", top);
  s.bug = str(j, "bug", top);
  const Json& params = need(j, "params", top);
  if (!params.is_object()) throw UsageError(fmt::format("{}: 'params' is not an object", path));
  for (const auto& [k, v] : params.items()) {
    if (!v.is_string()) throw UsageError(fmt::format("{}: params: '{}' is not a string", path, k));
    s.params.emplace_back(k, v.get<std::string>());
  }
  s.seed_start = num(j, "seed_start", top);
  const Json& runs = need(j, "runs", top);
  if (runs.is_number_unsigned()) {
    s.runs = runs.get<std::uint64_t>();
  } else if (!runs.is_null()) {
    throw UsageError(fmt::format("{}: 'runs' is neither a count nor null", path));
  }
  const std::string shard = str(j, "shard", top);
  const auto slash = shard.find('/');
  {
    std::uint32_t k = 0, m = 0;
    const char* b = shard.data();
    const char* e = shard.data() + shard.size();
    auto r1 = std::from_chars(b, slash == std::string::npos ? e : b + slash, k);
    auto r2 = slash == std::string::npos ? r1 : std::from_chars(b + slash + 1, e, m);
    if (slash == std::string::npos || r1.ec != std::errc() || r1.ptr != b + slash || r2.ec != std::errc() ||
        r2.ptr != e || m == 0 || k >= m || m > kShardsMax) {
      throw UsageError(fmt::format("{}: bad 'shard' {} (expected K/M with K < M <= {})", path, base::excerpt(shard), kShardsMax));
    }
    s.shard_index = k;
    s.shard_count = m;
  }
  s.executions = num(j, "executions", top);
  s.blocked = num(j, "blocked", top);
  s.enumerating = boolean(j, "enumerating", top);
  s.exhausted = boolean(j, "exhausted", top);
  s.complete = boolean(j, "complete", top);
  s.stopped_by = str(j, "stopped_by", top);
  const Json& failures = need(j, "failures", top);
  if (!failures.is_array()) throw UsageError(fmt::format("{}: 'failures' is not an array", path));
  for (const Json& f : failures) {
    FailureRecord r;
    const char* where = "a failure";
    r.seed = num(f, "seed", where);
    r.execution = num(f, "execution", where);
    r.status = str(f, "status", where);
    r.check = str(f, "check", where);
    r.message = str(f, "message", where);
    // Optional: reports of binaries before signatures have no site, choices or wall time.
    if (f.contains("site")) r.site = str(f, "site", where);
    r.reproduce = str(f, "reproduce", where);
    if (f.contains("choices")) r.choices = num(f, "choices", where);
    if (f.contains("wall_us")) r.wall_us = static_cast<std::int64_t>(std::min<std::uint64_t>(num(f, "wall_us", where), INT64_MAX));
    if (!parse_hex(str(f, "trace_hash", where), &r.trace_hash)) {
      throw UsageError(fmt::format("{}: a failure's 'trace_hash' is not 16 hex digits", path));
    }
    s.failures.push_back(std::move(r));
  }
  const Json& hashes = need(j, "schedule_hashes", top);
  if (!hashes.is_array()) throw UsageError(fmt::format("{}: 'schedule_hashes' is not an array", path));
  for (const Json& h : hashes) {
    std::uint64_t v = 0;
    if (!h.is_string() || !parse_hex(h.get<std::string>(), &v)) {
      throw UsageError(fmt::format("{}: 'schedule_hashes' holds something other than hex hashes", path));
    }
    s.schedule_hashes.insert(v);
  }
  if (num(j, "distinct_schedules", top) != s.schedule_hashes.size()) {
    throw UsageError(fmt::format("{}: 'distinct_schedules' does not match 'schedule_hashes'", path));
  }
  if (j.contains("wall_us")) s.wall_us = static_cast<std::int64_t>(std::min<std::uint64_t>(num(j, "wall_us", top), INT64_MAX));
  if (s.failures.size() > s.executions) {
    throw UsageError(fmt::format("{}: more failures than executions", path));
  }
  s.normalize();
  return s;
}

std::string junit_seconds(std::int64_t us) { return fmt::format("{:.3f}", static_cast<double>(std::max<std::int64_t>(us, 0)) / 1e6); }

namespace {

std::string junit_label(const ExploreSummary& s) {
  std::string label = s.scenario;
  for (const auto& [k, v] : s.params) label += fmt::format(" {}={}", k, v);
  if (!s.bug.empty()) label += fmt::format(" bug={}", s.bug);
  return label;
}

std::string junit_testcase_name(const std::string& label, const Signature& sig) {
  return fmt::format("{}: {}{}{}: {}", label, sig.check, sig.site.empty() ? "" : " at ", sig.site, sig.pattern);
}

std::string junit_failure_body(const ExploreSummary& s, const FailureGroup& g) {
  std::string body = fmt::format("{} of {} executions failed with signature {}; first seed {}\n", g.count,
                                 s.executions, g.signature.id(), g.first_seed);
  body += fmt::format("FAIL {}: {}\n", g.check, g.message);
  if (!g.reproduce.empty()) body += fmt::format("reproduce: {}\n", g.reproduce);
  if (g.smallest_choices != 0 && g.smallest_reproduce != g.reproduce) {
    body += fmt::format("fewest choices: seed {} ({} choices)\nreproduce: {}\n", g.smallest_seed,
                        g.smallest_choices, g.smallest_reproduce);
  }
  return body;
}

}  // namespace

std::string junit_testcases(const ExploreSummary& s, const std::string& indent, std::size_t* tests,
                            std::size_t* failing) {
  // One testcase per failure signature (its name carries nothing seed-specific, so CI
  // history follows it from run to run); one passing testcase when nothing failed.
  const std::string label = junit_label(s);
  const std::string classname = xml_escape("simbus.explore." + s.scenario);
  const auto groups = s.groups();
  std::string out;
  if (groups.empty()) {
    *tests += 1;
    out += fmt::format("{}<testcase classname=\"{}\" name=\"{}\" time=\"{}\"/>\n", indent, classname,
                       xml_escape(label + ": every execution passed"), junit_seconds(s.wall_us));
    return out;
  }
  for (const FailureGroup& g : groups) {
    *tests += 1;
    *failing += 1;
    const std::string headline = g.message.substr(0, g.message.find('\n'));
    out += fmt::format("{}<testcase classname=\"{}\" name=\"{}\" time=\"{}\">\n", indent, classname,
                       xml_escape(junit_testcase_name(label, g.signature)), junit_seconds(g.wall_us));
    out += fmt::format("{}  <failure message=\"{}\" type=\"{}\">{}</failure>\n", indent,
                       xml_escape(fmt::format("FAIL {}: {}", g.check, headline)), xml_escape(g.check),
                       xml_escape(junit_failure_body(s, g)));
    out += fmt::format("{}</testcase>\n", indent);
  }
  return out;
}

std::string to_junit(const ExploreSummary& s) {
  std::size_t tests = 0, failing = 0;
  const std::string cases = junit_testcases(s, "    ", &tests, &failing);
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  const std::string time = junit_seconds(s.wall_us);
  out += fmt::format("<testsuites tests=\"{}\" failures=\"{}\" time=\"{}\">\n", tests, failing, time);
  out += fmt::format("  <testsuite name=\"simbus explore {}\" tests=\"{}\" failures=\"{}\" time=\"{}\">\n",
                     xml_escape(junit_label(s)), tests, failing, time);
  out += "    <properties>\n";
  out += fmt::format("      <property name=\"strategy\" value=\"{}\"/>\n", xml_escape(s.strategy));
  out += fmt::format("      <property name=\"seed_start\" value=\"{}\"/>\n", s.seed_start);
  out += fmt::format("      <property name=\"shard\" value=\"{}/{}\"/>\n", s.shard_index, s.shard_count);
  out += fmt::format("      <property name=\"executions\" value=\"{}\"/>\n", s.executions);
  out += fmt::format("      <property name=\"failing_executions\" value=\"{}\"/>\n", s.failures.size());
  out += fmt::format("      <property name=\"distinct_schedules\" value=\"{}\"/>\n", s.distinct_schedules());
  out += "    </properties>\n";
  out += cases;
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

int summary_exit_code(const ExploreSummary& s) {
  if (!s.failures.empty()) return kExitFailed;
  if (!s.complete) return kExitUndecided;
  return kExitOk;
}

}  // namespace simbus::cli
