#include "cli/shrink.h"

#include "cli/signature.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "sim/strategy.h"

namespace simbus::cli {
namespace {

// A scheduling directive at the i-th point with more than one enabled action.
struct Directive {
  bool keep_running = false;  // no preference: keep running the fiber that ran last
  bool any_seq = false;       // any action of `actor`
  sim::FiberId actor = 0;
  std::uint32_t seq = 0;
};

using DataKey = std::tuple<sim::FiberId, std::uint32_t, std::uint16_t>;
constexpr std::uint64_t kDataMax = ~std::uint64_t{0};  // "the largest value below the bound"

struct Candidate {
  std::vector<Directive> schedule;
  std::map<DataKey, std::uint64_t> data;  // absent: drawn from the seed's stream
  // When the last fiber cannot go on and no directive applies: the first enabled action,
  // or (true) the last one.
  bool fallback_last = false;
  // When the last fiber cannot go on, first return to the fiber preempted most recently.
  bool return_to_preempted = false;
};

Candidate candidate_from_log(const sim::ChoiceLog& log) {
  Candidate c;
  for (const sim::Choice& choice : log) {
    if (choice.kind == sim::Choice::Kind::kSchedule) {
      c.schedule.push_back({false, false, choice.actor, choice.seq});
    } else {
      c.data[{choice.actor, choice.seq, static_cast<std::uint16_t>(choice.tag)}] = choice.value;
    }
  }
  return c;
}

// Follows a candidate leniently: a directive whose action is enabled is taken (or, failing
// that, another action of the same fiber); otherwise the last fiber keeps running. Never
// diverges, so any edit of a log is a runnable candidate.
class GuidedStrategy final : public sim::Strategy {
 public:
  explicit GuidedStrategy(Candidate candidate) : candidate_(std::move(candidate)) {}
  std::string name() const override { return "guided"; }

  std::size_t pick(std::span<const sim::EnabledAction> enabled, const sim::PickContext& ctx) override {
    std::size_t chosen = enabled.size();
    if (enabled.size() > 1) {
      for (const sim::EnabledAction& e : enabled) {
        if (std::find(seen_actors_.begin(), seen_actors_.end(), e.actor) == seen_actors_.end()) {
          if (seen_actors_.size() < kSeenActorsMax) seen_actors_.push_back(e.actor);
        }
      }
      const std::size_t at = cursor_++;
      if (at < candidate_.schedule.size() && !candidate_.schedule[at].keep_running) {
        const Directive& d = candidate_.schedule[at];
        for (std::size_t i = 0; i < enabled.size() && chosen == enabled.size(); ++i) {
          if (enabled[i].actor == d.actor && (d.any_seq || enabled[i].seq == d.seq)) chosen = i;
        }
        for (std::size_t i = 0; i < enabled.size() && chosen == enabled.size(); ++i) {
          if (enabled[i].actor == d.actor) chosen = i;
        }
      }
      const std::size_t directed = chosen;
      std::size_t last = enabled.size();
      for (std::size_t i = 0; i < enabled.size(); ++i) {
        if (enabled[i].actor == last_actor_) last = i;
      }
      if (directed != enabled.size() && last != enabled.size() && directed != last) {
        preempted_.push_back(last_actor_);  // a switch away from a fiber that could go on
      }
      if (chosen == enabled.size()) chosen = last;
      // The last fiber cannot go on: return to the fiber preempted most recently.
      while (candidate_.return_to_preempted && chosen == enabled.size() && !preempted_.empty()) {
        const sim::FiberId back = preempted_.back();
        preempted_.pop_back();
        for (std::size_t i = 0; i < enabled.size(); ++i) {
          if (enabled[i].actor == back) chosen = i;
        }
      }
    }
    if (chosen == enabled.size()) chosen = candidate_.fallback_last ? enabled.size() - 1 : 0;
    last_actor_ = enabled[chosen].actor;
    return chosen;
  }

  // Every fiber (or event) seen at a point with a choice: the targets of retargeting moves.
  static constexpr std::size_t kSeenActorsMax = 64;
  std::vector<sim::FiberId> seen_actors() const {
    std::vector<sim::FiberId> out = seen_actors_;
    std::sort(out.begin(), out.end());
    return out;
  }

  std::optional<std::uint64_t> choose_data(const sim::DataChoice& d) override {
    auto it = candidate_.data.find({d.actor, d.counter, static_cast<std::uint16_t>(d.tag)});
    if (it == candidate_.data.end()) return std::nullopt;
    return std::min(it->second, d.bound - 1);
  }

 private:
  Candidate candidate_;
  std::size_t cursor_ = 0;
  sim::FiberId last_actor_ = 0;
  std::vector<sim::FiberId> preempted_;
  std::vector<sim::FiberId> seen_actors_;
};

bool is_failure(const scenarios::RunResult& r) {
  return r.outcome.status == sim::RunStatus::kFailed || r.outcome.status == sim::RunStatus::kDeadlock ||
         r.outcome.status == sim::RunStatus::kLivelock;
}

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// What a candidate changes besides the schedule and the data: the run's request.
struct Setup {
  std::vector<std::pair<std::string, std::string>> params;  // KEY=VALUE, every declared key
  std::vector<std::string> skip;                             // sorted
  std::int64_t cap_time_us = 0;
};

class Shrinker {
 public:
  Shrinker(const scenarios::RunRequest& request, const ShrinkOptions& options, scenarios::RunResult original)
      : base_(request), options_(options), start_(std::chrono::steady_clock::now()) {
    base_.replay.reset();
    base_.schedule.reset();
    base_.record_steps = false;
    base_.stop_before_step = 0;
    signature_ = failure_signature(original);
    setup_.skip = request.skip;
    setup_.cap_time_us = request.cap_time_us;
    for (const auto& [k, v] : original.params) setup_.params.emplace_back(k, std::to_string(v));
    scenario_ = scenarios::find_scenario(request.scenario);
    current_ = std::move(original);
    current_size_ = measure(current_, setup_.skip);
    // The original ran under the replay strategy: run it once more, guided, to learn its fibers.
    scenarios::RunRequest probe = request_for(setup_);
    auto strategy = std::make_shared<GuidedStrategy>(candidate_from_log(current_.log));
    probe.strategy_object = strategy;
    scenarios::run_scenario(probe);
    current_actors_ = strategy->seen_actors();
  }

  scenarios::RunRequest request_for(const Setup& setup) const {
    scenarios::RunRequest r = base_;
    r.params = setup.params;
    r.skip = setup.skip;
    r.cap_time_us = setup.cap_time_us;
    r.cap_steps = 0;
    return r;
  }

  bool out_of_budget() {
    if (attempts_ >= options_.attempts_max || candidate_steps_ >= options_.candidate_steps_max) {
      return budget_hit_ = true;
    }
    if (options_.time_limit_s > 0 &&
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count() >= options_.time_limit_s) {
      time_limit_hit_ = true;
      return budget_hit_ = true;
    }
    return false;
  }

  // Runs `candidate` under `setup`; the result if it fails with the original's signature.
  std::optional<scenarios::RunResult> run_candidate(Candidate candidate, const Setup& setup,
                                                    std::vector<sim::FiberId>* actors = nullptr) {
    if (out_of_budget()) return std::nullopt;
    attempts_ += 1;
    scenarios::RunRequest r = request_for(setup);
    auto strategy = std::make_shared<GuidedStrategy>(std::move(candidate));
    r.strategy_object = strategy;
    scenarios::RunResult result = scenarios::run_scenario(r);
    candidate_steps_ += result.outcome.steps;
    if (!is_failure(result) || failure_signature(result) != signature_) return std::nullopt;
    if (actors != nullptr) *actors = strategy->seen_actors();
    return result;
  }

  // Runs the candidate; keeps it if it fails the same way and is smaller.
  bool try_candidate(Candidate candidate, const Setup& setup) {
    std::vector<sim::FiberId> actors;
    std::optional<scenarios::RunResult> result = run_candidate(std::move(candidate), setup, &actors);
    if (!result) return false;
    const ExecutionSize size = measure(*result, setup.skip);
    if (!(size < current_size_)) return false;
    if (collecting_) {  // best improvement: remember the smallest, keep searching
      if (!best_ || size < best_size_) {
        best_ = std::move(*result);
        best_size_ = size;
        best_actors_ = actors;
      }
      return false;
    }
    current_ = std::move(*result);
    current_actors_ = actors;
    current_size_ = size;
    setup_ = setup;
    accepted_ += 1;
    return true;
  }
  bool try_candidate(Candidate candidate) { return try_candidate(std::move(candidate), setup_); }

  // The cut: the earliest virtual time at which the current execution, stopped there and
  // judged, fails the same way (bisection to 1/64 of the run), plus the margin. The
  // margin leaves room for candidates whose failure comes a little later.
  void cut_pass(std::uint32_t margin_percent) {
    if (!options_.cut) return;
    const std::int64_t end_us = current_.outcome.fail_time_us >= 0 ? current_.outcome.fail_time_us : current_.outcome.now_us;
    if (end_us <= 0) return;
    auto fails_at = [&](std::int64_t cap_us) {
      Setup s = setup_;
      s.cap_time_us = cap_us;
      return run_candidate(current_candidate(), s).has_value();
    };
    std::int64_t lo = 0;
    std::int64_t hi = end_us;
    if (setup_.cap_time_us == 0 || hi < setup_.cap_time_us) {
      if (!fails_at(hi)) return;  // judged early, it passes or fails otherwise: no cut
    }
    constexpr int kBisectionsMax = 40;
    const std::int64_t resolution_us = std::max<std::int64_t>(1'000, end_us / 64);
    for (int i = 0; i < kBisectionsMax && hi - lo > resolution_us && !budget_hit_; ++i) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (fails_at(mid)) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    if (first_failure_us_ < 0) first_failure_us_ = hi;
    const std::int64_t margin_us =
        margin_percent == 0 ? 0 : std::max<std::int64_t>(kCutMarginUsMin, hi / 100 * margin_percent);
    for (std::int64_t cap : {hi + margin_us, hi}) {
      if (setup_.cap_time_us != 0 && cap >= setup_.cap_time_us) continue;
      if (cap == hi && margin_us == 0 && cap != hi + margin_us) continue;
      Setup s = setup_;
      s.cap_time_us = cap;
      if (auto r = run_candidate(current_candidate(), s)) {
        // Accepted even when not smaller by measure: a shorter run is the point of it.
        current_ = std::move(*r);
        current_size_ = measure(current_, s.skip);
        setup_ = s;
        accepted_ += 1;
        return;
      }
    }
  }

  // ddmin over the points (faults or client operations) the current execution ran:
  // chunks of them skipped at once, halving the chunk down to single points.
  bool skip_pass(const char* prefix) {
    std::vector<std::string> keys;
    for (const std::string& k : current_.skip_points) {
      if (starts_with(k, prefix) && !std::binary_search(setup_.skip.begin(), setup_.skip.end(), k)) keys.push_back(k);
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    bool progress = false;
    for (std::size_t chunk = keys.size(); chunk >= 1 && !budget_hit_; chunk /= 2) {
      for (std::size_t start = 0; start < keys.size() && !budget_hit_; start += chunk) {
        Setup s = setup_;
        bool changes = false;
        for (std::size_t i = start; i < std::min(start + chunk, keys.size()); ++i) {
          if (!std::binary_search(s.skip.begin(), s.skip.end(), keys[i])) {
            s.skip.insert(std::upper_bound(s.skip.begin(), s.skip.end(), keys[i]), keys[i]);
            changes = true;
          }
        }
        if (changes && try_candidate(current_candidate(), s)) progress = true;
      }
      if (chunk == 1) break;
    }
    return progress;
  }

  // Smaller scenario parameters, each on its own: its minimum, half, one less.
  bool params_pass() {
    if (!options_.reduce_params || scenario_ == nullptr) return false;
    bool progress = false;
    for (const scenarios::ParamSpec& spec : scenario_->params) {
      for (int variant = 0; variant < 3 && !budget_hit_; ++variant) {
        auto it = std::find_if(setup_.params.begin(), setup_.params.end(),
                               [&](const auto& kv) { return kv.first == spec.key; });
        if (it == setup_.params.end()) break;
        const std::int64_t value = std::stoll(it->second);
        const std::int64_t target = variant == 0 ? spec.min : variant == 1 ? spec.min + (value - spec.min) / 2 : value - 1;
        if (target >= value || target < spec.min) continue;
        Setup s = setup_;
        for (auto& [k, v] : s.params) {
          if (k == spec.key) v = std::to_string(target);
        }
        if (try_candidate(current_candidate(), s)) {
          progress = true;
          break;
        }
      }
    }
    return progress;
  }

  Candidate current_candidate() const { return candidate_from_log(current_.log); }

  // Keeps only the first k directives, for growing k: the shortest prefix that still fails.
  bool truncate_pass() {
    const std::size_t n = candidate_from_log(current_.log).schedule.size();
    // Every prefix length for short logs, powers of two for long ones.
    constexpr std::size_t kLinearPrefixesMax = 256;
    for (std::size_t k = 0; k < n; k = (k == 0 || n <= kLinearPrefixesMax) ? k + 1 : k * 2) {
      for (int fallback = 0; fallback < 4; ++fallback) {
        Candidate c = current_candidate();
        c.schedule.resize(k);
        c.fallback_last = (fallback & 1) != 0;
        c.return_to_preempted = (fallback & 2) != 0;
        if (try_candidate(std::move(c))) return true;
        if (budget_hit_) return false;
      }
    }
    return false;
  }

  // ddmin over the schedule: chunks of directives turned into "keep running".
  bool chunk_pass() {
    bool progress = false;
    std::size_t n = current_candidate().schedule.size();
    for (std::size_t chunk = std::max<std::size_t>(1, n / 2); chunk >= 1; chunk /= 2) {
      for (std::size_t start = 0;; start += chunk) {
        Candidate c = current_candidate();
        if (start >= c.schedule.size()) break;
        bool changes = false;
        for (std::size_t i = start; i < std::min(start + chunk, c.schedule.size()); ++i) {
          changes = changes || !c.schedule[i].keep_running;
          c.schedule[i].keep_running = true;
        }
        if (!changes) continue;
        if (try_candidate(std::move(c))) progress = true;
        if (budget_hit_) return progress;
      }
      if (chunk == 1) break;
    }
    return progress;
  }

  // ddmin over the data choices: chunks of them zeroed at once (fewer faults, shorter
  // latencies, smaller workload values), halving the chunk down to single choices.
  bool data_chunk_pass() {
    bool progress = false;
    std::vector<DataKey> keys;
    for (const auto& [key, value] : current_candidate().data) {
      if (value != 0) keys.push_back(key);
    }
    for (std::size_t chunk = keys.size(); chunk >= 2; chunk /= 2) {
      for (std::size_t start = 0; start < keys.size(); start += chunk) {
        Candidate c = current_candidate();
        bool changes = false;
        for (std::size_t i = start; i < std::min(start + chunk, keys.size()); ++i) {
          auto it = c.data.find(keys[i]);
          if (it != c.data.end() && it->second != 0) {
            it->second = 0;
            changes = true;
          }
        }
        if (!changes) continue;
        if (try_candidate(std::move(c))) progress = true;
        if (budget_hit_) return progress;
      }
    }
    return progress;
  }

  // Each data choice: zero, then the largest value (for chances, "does not happen").
  bool data_pass() {
    bool progress = false;
    std::vector<DataKey> keys;
    for (const auto& [key, value] : current_candidate().data) {
      if (value != 0) keys.push_back(key);
    }
    for (const DataKey& key : keys) {
      for (std::uint64_t value : {std::uint64_t{0}, kDataMax}) {
        Candidate c = current_candidate();
        auto it = c.data.find(key);
        if (it == c.data.end() || it->second == value) continue;
        it->second = value;
        if (try_candidate(std::move(c))) {
          progress = true;
          break;
        }
        if (budget_hit_) return progress;
      }
    }
    return progress;
  }

  // One context switch at a time: at point i run fiber `a` instead, then (first variant)
  // no more preemptions, or (second) the rest of the log as before. Finds the one- or
  // two-switch schedules the passes above cannot reach by removing directives alone.
  bool retarget_pass() {
    // Short logs: try every move and take the best; long ones: the first that helps.
    constexpr std::size_t kBestImprovementDirectivesMax = 64;
    const Candidate base = current_candidate();
    collecting_ = base.schedule.size() <= kBestImprovementDirectivesMax;
    best_.reset();
    const bool found = retarget_moves(base);
    collecting_ = false;
    if (best_) {
      current_ = std::move(*best_);
      current_size_ = best_size_;
      current_actors_ = best_actors_;
      best_.reset();
      accepted_ += 1;
      return true;
    }
    return found;
  }

  // The fibers a move may switch to: every one seen at a choice of the current execution
  // (a fiber that only ran alone at the end appears in no directive).
  std::vector<sim::FiberId> moves_actors(const Candidate& base) const {
    std::vector<sim::FiberId> actors = current_actors_;
    for (const Directive& d : base.schedule) actors.push_back(d.actor);
    std::sort(actors.begin(), actors.end());
    actors.erase(std::unique(actors.begin(), actors.end()), actors.end());
    return actors;
  }

  bool retarget_moves(const Candidate& base) {
    const std::vector<sim::FiberId> actors = moves_actors(base);
    for (int variant = 0; variant < 8; ++variant) {
      const bool keep_rest = (variant & 2) != 0;
      for (std::size_t i = 0; i < base.schedule.size(); ++i) {
        for (sim::FiberId a : actors) {
          if (a == base.schedule[i].actor) continue;
          Candidate c = base;
          c.fallback_last = (variant & 1) != 0;
          c.return_to_preempted = (variant & 4) != 0;
          c.schedule[i] = {false, true, a, 0};
          if (!keep_rest) {
            for (std::size_t j = i + 1; j < c.schedule.size(); ++j) c.schedule[j].keep_running = true;
          }
          if (try_candidate(std::move(c))) return true;
          if (budget_hit_) return false;
        }
      }
    }
    return false;
  }

  // Two context switches moved at once, for short logs where one move is stuck in a
  // local minimum (best improvement over every pair).
  bool pair_pass() {
    constexpr std::size_t kPairMovesMax = 128;  // (directives x fibers) at most
    const Candidate base = current_candidate();
    const std::vector<sim::FiberId> actors = moves_actors(base);
    const std::size_t n = base.schedule.size();
    if (n * actors.size() > kPairMovesMax) return false;
    collecting_ = true;
    best_.reset();
    for (int variant = 0; variant < 4 && !budget_hit_; ++variant) {
      for (std::size_t i = 0; i < n && !budget_hit_; ++i) {
        for (sim::FiberId a : actors) {
          if (a == base.schedule[i].actor) continue;
          for (std::size_t j = i + 1; j < n && !budget_hit_; ++j) {
            for (sim::FiberId b : actors) {
              if (b == a) continue;
              Candidate c = base;
              c.fallback_last = (variant & 1) != 0;
              c.return_to_preempted = (variant & 2) != 0;
              c.schedule[i] = {false, true, a, 0};
              c.schedule[j] = {false, true, b, 0};
              for (std::size_t k = j + 1; k < n; ++k) c.schedule[k].keep_running = true;
              try_candidate(std::move(c));
              if (budget_hit_) break;
            }
          }
        }
      }
    }
    collecting_ = false;
    if (!best_) return false;
    current_ = std::move(*best_);
    current_size_ = best_size_;
    current_actors_ = best_actors_;
    best_.reset();
    accepted_ += 1;
    return true;
  }

  void run() {
    cut_pass(options_.margin_percent);
    bool progress = true;
    while (progress && !budget_hit_) {
      progress = false;
      progress = skip_pass("fault-") || progress;
      progress = skip_pass("op-") || progress;
      progress = params_pass() || progress;
      progress = truncate_pass() || progress;
      progress = chunk_pass() || progress;
      progress = data_chunk_pass() || progress;
      progress = data_pass() || progress;
      if (!progress) progress = retarget_pass();
      if (!progress) progress = pair_pass();
      // A smaller execution may fail earlier: cut again (with the margin).
      if (progress && !budget_hit_) cut_pass(options_.margin_percent);
    }
    // The result needs no margin: judge it where it first fails. A bisection of its own
    // budget (kFinalCutAttempts more candidates), unless the wall-time guard stopped us.
    if (!time_limit_hit_) {
      constexpr std::uint64_t kFinalCutAttempts = 64;
      options_.attempts_max = attempts_ + kFinalCutAttempts;
      options_.candidate_steps_max = candidate_steps_ + kFinalCutAttempts * std::max<std::uint64_t>(1, current_.outcome.steps);
      const bool was_hit = budget_hit_;
      budget_hit_ = false;
      cut_pass(0);
      budget_hit_ = budget_hit_ || was_hit;
    }
    // Keys the final run never asked about change nothing: drop them from the trace.
    std::vector<std::string> asked = current_.skip_points;
    std::sort(asked.begin(), asked.end());
    std::erase_if(setup_.skip, [&](const std::string& k) { return !std::binary_search(asked.begin(), asked.end(), k); });
  }

  scenarios::RunResult& current() { return current_; }
  scenarios::RunRequest current_request() const { return request_for(setup_); }
  std::uint64_t attempts() const { return attempts_; }
  std::uint64_t accepted() const { return accepted_; }
  std::uint64_t candidate_steps() const { return candidate_steps_; }
  bool budget_hit() const { return budget_hit_; }
  bool time_limit_hit() const { return time_limit_hit_; }
  std::int64_t first_failure_us() const { return first_failure_us_; }

 private:
  scenarios::RunRequest base_;
  ShrinkOptions options_;
  std::chrono::steady_clock::time_point start_;
  std::string signature_;
  Setup setup_;
  const scenarios::Scenario* scenario_ = nullptr;
  std::uint64_t candidate_steps_ = 0;
  bool time_limit_hit_ = false;
  std::int64_t first_failure_us_ = -1;
  scenarios::RunResult current_;
  ExecutionSize current_size_;
  std::uint64_t attempts_ = 0;
  std::uint64_t accepted_ = 0;
  bool collecting_ = false;
  std::optional<scenarios::RunResult> best_;
  ExecutionSize best_size_;
  std::vector<sim::FiberId> current_actors_;
  std::vector<sim::FiberId> best_actors_;
  bool budget_hit_ = false;
};

}  // namespace

PointCounts count_points(const scenarios::RunResult& result, const std::vector<std::string>& skip) {
  PointCounts c;
  for (const std::string& k : result.skip_points) {
    if (std::binary_search(skip.begin(), skip.end(), k)) continue;
    if (starts_with(k, "fault-")) c.faults += 1;
    if (starts_with(k, "op-")) c.operations += 1;
  }
  return c;
}

ExecutionSize measure(const scenarios::RunResult& result, const std::vector<std::string>& skip) {
  ExecutionSize s;
  s.choices = result.log.size();
  s.steps = result.outcome.steps;
  const PointCounts points = count_points(result, skip);
  s.points = points.faults + points.operations;
  sim::FiberId last = 0;
  bool first = true;
  for (const sim::Choice& c : result.log) {
    if (c.kind == sim::Choice::Kind::kSchedule) {
      if (!first && c.actor != last) s.switches += 1;
      last = c.actor;
      first = false;
    } else if (c.value != 0) {
      s.data_nonzero += 1;
      s.data_sum = c.value > ~std::uint64_t{0} - s.data_sum ? ~std::uint64_t{0} : s.data_sum + c.value;
    }
  }
  return s;
}

std::string failure_signature(const scenarios::RunResult& result) { return signature_of(result).key(); }

ShrinkOutcome shrink_execution(const scenarios::RunRequest& request, const ShrinkOptions& options) {
  ShrinkOutcome out;
  out.original = scenarios::run_scenario(request);
  if (out.original.outcome.status == sim::RunStatus::kDiverged) {
    throw scenarios::UsageError(
        fmt::format("the trace does not replay (it diverged: {})", out.original.outcome.message));
  }
  if (!is_failure(out.original)) {
    throw scenarios::UsageError("the trace's execution passes: there is no failure to shrink");
  }
  Shrinker shrinker(request, options, out.original);
  shrinker.run();
  out.shrunk = std::move(shrinker.current());
  out.request = shrinker.current_request();
  out.request.strategy_object.reset();
  out.attempts = shrinker.attempts();
  out.accepted = shrinker.accepted();
  out.candidate_steps = shrinker.candidate_steps();
  out.budget_hit = shrinker.budget_hit();
  out.time_limit_hit = shrinker.time_limit_hit();
  out.first_failure_us = shrinker.first_failure_us();
  return out;
}

}  // namespace simbus::cli
