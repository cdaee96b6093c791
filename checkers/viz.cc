#include "checkers/viz.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>

namespace simbus::checkers {
namespace {

// Rows and columns in pixels.
constexpr int kRowHeightPx = 26;
constexpr int kEventWidthPx = 14;
constexpr int kLabelWidthPx = 70;

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

void write_viz_html(const History& history, const LinearizabilityResult& result,
                    const std::string& title, std::ostream& out) {
  // Columns are the ranks of distinct event times, so the picture shows order, not scale.
  std::vector<std::int64_t> times;
  for (const Operation& op : history.operations) {
    times.push_back(op.invoke_time);
    if (op.status != Status::info) times.push_back(op.complete_time);
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  auto column = [&](std::int64_t t) {
    return static_cast<int>(std::lower_bound(times.begin(), times.end(), t) - times.begin());
  };
  const int end_column = static_cast<int>(times.size()) + 1;
  std::map<std::int64_t, int> rows;
  for (const Operation& op : history.operations) rows.emplace(op.process, 0);
  int row = 0;
  for (auto& [process, r] : rows) r = row++;
  std::unordered_map<std::size_t, std::size_t> order;
  for (std::size_t i = 0; i < result.partial_linearization.size(); ++i) order[result.partial_linearization[i]] = i + 1;
  std::unordered_map<std::size_t, bool> unplaced;
  for (std::size_t i : result.unplaced) unplaced[i] = true;

  out << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" << escape(title)
      << "</title>\n<style>body{font:12px sans-serif}.op{position:absolute;height:18px;"
         "border-radius:3px;overflow:hidden;white-space:nowrap;padding:0 3px;box-sizing:border-box;"
         "border:1px solid #555}.ok{background:#cfe8cf}.info{background:#f3e3b0}.fail{background:#ddd;"
         "color:#888}.lin{border:2px solid #2a6}.bad{background:#f4b4b4;border:2px solid #c00}"
         ".row{position:absolute;left:0;width:"
      << kLabelWidthPx << "px}</style></head><body>\n<h3>" << escape(title) << ": "
      << verdict_name(result.verdict) << "</h3>\n<p>Green border: placed in the longest partial "
      << "linearization (number = position). Red: could not be placed next. Yellow: unknown (info). "
      << "Grey: failed (did not happen).</p>\n<div style=\"position:relative;height:"
      << (row + 1) * kRowHeightPx << "px;width:" << kLabelWidthPx + (end_column + 1) * kEventWidthPx << "px\">\n";
  for (auto& [process, r] : rows) {
    out << fmt::format("<div class=\"row\" style=\"top:{}px\">p{}</div>\n", r * kRowHeightPx, process);
  }
  for (std::size_t i = 0; i < history.operations.size(); ++i) {
    const Operation& op = history.operations[i];
    int start = column(op.invoke_time);
    int stop = op.status == Status::info ? end_column : column(op.complete_time);
    std::string cls = status_name(op.status);
    if (order.count(i)) cls += " lin";
    if (unplaced.count(i)) cls += " bad";
    std::string label = order.count(i) ? fmt::format("#{} ", order[i]) : "";
    label += format_operation(op);
    out << fmt::format(
        "<div class=\"{}\" title=\"{}\" style=\"top:{}px;left:{}px;width:{}px\">{}</div>\n",
        "op " + cls, escape(format_operation(op)), rows[op.process] * kRowHeightPx,
        kLabelWidthPx + start * kEventWidthPx, std::max(1, stop - start + 1) * kEventWidthPx, escape(label));
  }
  out << "</div>\n<pre>" << escape(result.explanation) << "</pre>\n</body></html>\n";
}

}  // namespace simbus::checkers
