// `simbus triage STORE`: the distinct failures of a results store (store/store.h) by
// signature, with counts, first and last sighting and the shortest known reproduce line;
// those not seen in the baseline flagged NEW, so a nightly job reads "2 new failures"
// rather than 300 failure lines. Exit 1 if there is a new failure, 0 if none, 2 on a bad
// store or baseline.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cli/command.h"
#include "cli/explore_report.h"
#include "cli/run_common.h"
#include "store/store.h"

namespace simbus::cli {
namespace {

struct TriageOptions {
  std::string store_path;
  std::string baseline_commit;
  bool json = false;
  std::string junit_path;
  std::string html_path;
};

std::string new_failures_line(std::uint64_t n) { return fmt::format("{} new failure{}", n, n == 1 ? "" : "s"); }

std::string baseline_description(const store::Triage& t) {
  return t.baseline_commit.empty() ? "none (every failure is new)" : "commit " + t.baseline_commit;
}

std::string to_text(const store::Triage& t, const std::string& path) {
  std::string out;
  out += fmt::format("store: {}\n", path);
  out += fmt::format("batches: {}\nexecutions: {}\n", t.batches, t.executions);
  if (t.expected_failures > 0) {
    out += fmt::format("expected failures: {} (of must-find entries; not listed)\n", t.expected_failures);
  }
  out += fmt::format("baseline: {}\n", baseline_description(t));
  out += fmt::format("distinct failures: {}\n", t.rows.size());
  for (const store::TriageRow& r : t.rows) {
    out += fmt::format("{} {} {}\n", r.is_new ? "NEW  " : "known", r.signature_id, r.signature_key);
    out += fmt::format("  count: {} in {} batch{} ({})\n", r.count, r.batches, r.batches == 1 ? "" : "es",
                       r.scenarios);
    out += fmt::format("  first seen: {} {}\n", r.first_seen.commit, r.first_seen.started_at);
    out += fmt::format("  last seen: {} {}\n", r.last_seen.commit, r.last_seen.started_at);
    out += fmt::format("  FAIL {}: {}\n", r.check, r.message.substr(0, r.message.find('\n')));
    out += fmt::format("  reproduce: {}\n", r.reproduce);
  }
  out += new_failures_line(t.new_count()) + "\n";
  return out;
}

std::string to_json(const store::Triage& t, const std::string& path) {
  nlohmann::ordered_json j;
  j["store"] = path;
  j["schema_version"] = store::kSchemaVersion;
  j["batches"] = t.batches;
  j["executions"] = t.executions;
  j["expected_failures"] = t.expected_failures;
  j["baseline_commit"] =
      t.baseline_commit.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(t.baseline_commit);
  j["distinct"] = t.rows.size();
  j["new"] = t.new_count();
  j["failures"] = nlohmann::ordered_json::array();
  for (const store::TriageRow& r : t.rows) {
    nlohmann::ordered_json f;
    f["signature"] = r.signature_id;
    f["key"] = r.signature_key;
    f["new"] = r.is_new;
    f["check"] = r.check;
    f["message"] = r.message;
    f["count"] = r.count;
    f["batches"] = r.batches;
    f["scenarios"] = r.scenarios;
    f["first_seen"] = {{"commit", r.first_seen.commit}, {"started_at", r.first_seen.started_at}};
    f["last_seen"] = {{"commit", r.last_seen.commit}, {"started_at", r.last_seen.started_at}};
    f["reproduce"] = r.reproduce;
    f["choices"] = r.reproduce_choices;
    j["failures"].push_back(std::move(f));
  }
  // Replace invalid UTF-8 rather than throw: messages come from the programs under test.
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

// New failures fail; known ones are skipped with where they were first seen, so a CI
// dashboard shows them without turning red for a bug it already knew.
std::string to_junit(const store::Triage& t) {
  std::string cases;
  for (const store::TriageRow& r : t.rows) {
    const std::string name = xml_escape(fmt::format("{} {}", r.signature_id, r.signature_key));
    cases += fmt::format("    <testcase classname=\"simbus.triage\" name=\"{}\">\n", name);
    const std::string detail = xml_escape(
        fmt::format("{} failures in {} batches ({}); first seen {} {}; last seen {} {}\nreproduce: {}", r.count,
                    r.batches, r.scenarios, r.first_seen.commit, r.first_seen.started_at, r.last_seen.commit,
                    r.last_seen.started_at, r.reproduce));
    if (r.is_new) {
      cases += fmt::format("      <failure type=\"{}\" message=\"{}\">{}</failure>\n", xml_escape(r.check),
                           xml_escape(r.message.substr(0, r.message.find('\n'))), detail);
    } else {
      cases += fmt::format("      <skipped message=\"known since {}\"/>\n", xml_escape(r.first_seen.commit));
      cases += fmt::format("      <system-out>{}</system-out>\n", detail);
    }
    cases += "    </testcase>\n";
  }
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"simbus triage\" tests=\"{}\" failures=\"{}\">\n", t.rows.size(), t.new_count());
  out += fmt::format("  <testsuite name=\"simbus.triage\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">\n",
                     t.rows.size(), t.new_count(), t.rows.size() - t.new_count());
  out += cases;
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

std::string to_html(const store::Triage& t, const std::string& path) {
  std::string rows;
  for (const store::TriageRow& r : t.rows) {
    rows += fmt::format(
        "<tr class=\"{}\"><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}<br>{}</td>"
        "<td>{}<br>{}</td><td><code>{}</code></td></tr>\n",
        r.is_new ? "new" : "known", r.is_new ? "NEW" : "known", xml_escape(r.signature_id),
        xml_escape(r.signature_key), r.count, xml_escape(r.scenarios), xml_escape(r.first_seen.commit),
        xml_escape(r.first_seen.started_at), xml_escape(r.last_seen.commit),
        xml_escape(r.last_seen.started_at), xml_escape(r.reproduce));
  }
  return fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>simbus triage: {title}</title>\n"
      "<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;"
      "padding:4px;vertical-align:top}}tr.new{{background:#fdd}}code{{white-space:pre-wrap}}</style></head>\n"
      "<body><h1>simbus triage</h1>\n<p>store {title}: {batches} batches, {executions} executions; baseline {baseline}"
      "</p>\n<p><strong>{summary}</strong> ({distinct} distinct)</p>\n"
      "<table><tr><th></th><th>signature</th><th>key</th><th>count</th><th>scenarios</th><th>first seen</th>"
      "<th>last seen</th><th>shortest reproduce</th></tr>\n{rows}</table></body></html>\n",
      fmt::arg("title", xml_escape(path)), fmt::arg("batches", t.batches), fmt::arg("executions", t.executions),
      fmt::arg("baseline", xml_escape(baseline_description(t))), fmt::arg("summary", new_failures_line(t.new_count())),
      fmt::arg("distinct", t.rows.size()), fmt::arg("rows", rows));
}

}  // namespace

Runner add_triage(CLI::App& app) {
  auto opts = std::make_shared<TriageOptions>();
  auto* cmd = app.add_subcommand("triage", "list a results store's distinct failures by signature; flag the new ones");
  cmd->add_option("store", opts->store_path, "the store file (explore/suite/merge --store)")->required();
  cmd->add_option("--baseline-commit", opts->baseline_commit,
                  "COMMIT: failures seen in a batch up to the last one of this commit (or a unique prefix) are "
                  "known (default: every batch before the newest commit's first)");
  cmd->add_flag("--json", opts->json, "print the report as JSON (docs/store.md) instead of text");
  cmd->add_option("--junit", opts->junit_path, "write JUnit XML: a testcase per signature, new ones failing");
  cmd->add_option("--html", opts->html_path, "write an HTML page of the report");
  return [opts] {
    store::Triage t;
    try {
      const store::Store s(opts->store_path, store::Store::Mode::kReadOnly);
      t = s.triage(opts->baseline_commit.empty() ? std::nullopt : std::optional<std::string>(opts->baseline_commit));
    } catch (const store::StoreError& e) {
      throw UsageError(e.what());
    }
    const std::string text = opts->json ? to_json(t, opts->store_path) : to_text(t, opts->store_path);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    if (!opts->junit_path.empty()) write_file_atomically(opts->junit_path, to_junit(t));
    if (!opts->html_path.empty()) write_file_atomically(opts->html_path, to_html(t, opts->store_path));
    return t.new_count() > 0 ? static_cast<int>(kExitFailed) : static_cast<int>(kExitOk);
  };
}

}  // namespace simbus::cli
