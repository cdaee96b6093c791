// read_edn's fast path for flat maps against the general reader it stands in for: the
// same history, or the same error at the same line, on every vendored history, on
// hand-picked corner cases and on random operation maps written in varied styles.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "checkers/readers.h"

namespace simbus::checkers {
namespace {

std::string data_dir() {
  if (const char* dir = std::getenv("SIMBUS_DATA_DIR")) return dir;
  return SIMBUS_SOURCE_DIR "/tests/data";
}

// The outcome of one read, comparable field by field: the history, or the error.
std::string outcome(History (*reader)(std::string_view, const std::string&), std::string_view text) {
  std::ostringstream out;
  try {
    History h = reader(text, "f.edn");
    for (const Operation& op : h.operations) {
      out << op.process << '|' << op.function << '|' << op.key << '|' << static_cast<int>(op.status) << '|'
          << op.invoke_time << '|' << op.complete_time << '|' << op.line << '|';
      for (const Value& v : op.args) out << v.index() << ':' << value_to_string(v) << ',';
      out << '|';
      for (const Value& v : op.results) out << v.index() << ':' << value_to_string(v) << ',';
      out << '\n';
    }
  } catch (const ParseError& e) {
    out << "error " << e.what();
  }
  return out.str();
}

void expect_same(std::string_view text) {
  EXPECT_EQ(outcome(read_edn, text), outcome(read_edn_general_only, text)) << "input:\n" << text;
}

TEST(EdnFlat, SameHistoriesOnEveryVendoredFile) {
  int files = 0;
  for (auto [set, suffix] : {std::pair{"/knossos", ".edn"}, std::pair{"/porcupine/kv", ".txt"}}) {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(data_dir() + set)) {
      const std::string path = entry.path().string();
      if (!entry.is_regular_file() || !path.ends_with(suffix)) continue;
      std::ifstream in(path);
      std::stringstream text;
      text << in.rdbuf();
      const std::string a = outcome(read_edn, text.str());
      ASSERT_EQ(a, outcome(read_edn_general_only, text.str())) << path;
      ASSERT_EQ(a.find("error "), std::string::npos) << path << ": " << a.substr(0, 200);
      files += 1;
    }
  }
  EXPECT_GE(files, 100);
}

TEST(EdnFlat, CornerCasesReadAsTheGeneralReaderReadsThem) {
  const char* cases[] = {
      // escapes, reals, signed numbers, big integers, symbols, booleans
      "{:process 0 :type :invoke :f :write :value \"a\\\"b\"}\n{:process 0 :type :ok :f :write :value 1}",
      "{:process 0 :type :invoke :f :write :value 1.5}\n{:process 0 :type :ok :f :write :value -2}",
      "{:process 0 :type :invoke :f :write :value 12N}\n{:process 0 :type :ok :f :write :value +3}",
      "{:process 0 :type :invoke :f :write :value x}\n{:process 0 :type :ok :f :write :value true}",
      // maps over several lines, comments, tags, sets, nested txn values
      "{:process 0\n :type :invoke\n :f :write, :value [1\n 2]}\n; c\n{:process 0 :type :ok :f :write :value nil}",
      "{:process 0 :type :invoke :f :txn :value [[:r 1 nil] [:w 2 3]] :time #inst \"2020\"}\n"
      "{:process 0 :type :ok :f :txn :value [[:r 1 5] [:w 2 3]]}",
      "{:process 0 :type :invoke :f :add :value #{1 2}}\n{:process 0 :type :ok :f :add :value (3 4)}",
      // repeated keys (the first wins), unknown keys, non-keyword keys, nemesis operations
      "{:process 0 :process 1 :type :invoke :f :read :f :write \"k\" 1 :extra {:a 1}}\n{:process 0 :type :ok :f :read :value 3}",
      "[{:process :nemesis :type :info :f :start}\n{:process 2 :type :invoke :f :read}]",
      // a read answered with a collection, bad types, missing fields, broken syntax
      "{:process 0 :type :invoke :f :read}\n{:process 0 :type :ok :f :read :value [1 2]}",
      "{:process 0 :type invoke :f :read}",
      "{:process 0 :f :read}",
      "{:process 0 :type :invoke :f :read :value}",
      "{:process 0 :type :invoke :f :read :value \"abc}",
      "{:process 0 :type :invoke :f :read :value [1 2}",
      "{:process 0 :type :invoke :f :read :value : }",
      "{:process 0 :type :invoke :f :read} }",
      "[{:process 0 :type :invoke :f :read}",
      "{:process 0 :type :bogus :f :read}",
      "{:process 0 :type :ok :f :read}",
      "{:process 99999999999999999999 :type :invoke :f :read}",
      "",
      "  \n ; only a comment\n",
  };
  for (const char* text : cases) expect_same(text);
}

// Random histories of well-formed and slightly broken operation maps, in the styles
// the reader meets: commas or not, one map per line or a vector, odd spacing.
RC_GTEST_PROP(EdnFlat, RandomMapsReadAsTheGeneralReaderReadsThem, ()) {
  const auto scalar = rc::gen::oneOf(
      rc::gen::element<std::string>("nil", "true", "false", "x", "-1", "+2", "1.5", "7N", ":k", "\"s\"",
                                    "\"a b\\\"c\"", "\"\"", "#inst \"t\"", "{:a 1}", "[]", "[1 [2 3]]"),
      rc::gen::map(rc::gen::inRange<std::int64_t>(-5, 50), [](std::int64_t v) { return std::to_string(v); }),
      rc::gen::map(rc::gen::container<std::vector<std::int64_t>>(rc::gen::inRange<std::int64_t>(0, 9)),
                   [](const std::vector<std::int64_t>& vs) {
                     std::string s = "[";
                     for (std::int64_t v : vs) s += std::to_string(v) + " ";
                     return s + "]";
                   }));
  const auto separator = rc::gen::element<std::string>(" ", ", ", ",", "\n ", "  ", " ;c\n");
  const int ops = *rc::gen::inRange(1, 12);
  const bool vector = *rc::gen::arbitrary<bool>();
  std::string text = vector ? "[" : "";
  for (int i = 0; i < ops; ++i) {
    const int process = *rc::gen::inRange(0, 3);
    const std::string type = *rc::gen::element<std::string>(":invoke", ":ok", ":fail", ":info", "invoke");
    const std::string f = *rc::gen::element<std::string>(":read", ":write", ":cas", ":get", ":append", "\"put\"");
    std::vector<std::string> fields = {":process " + std::to_string(process), ":type " + type, ":f " + f};
    if (*rc::gen::arbitrary<bool>()) fields.push_back(":value " + *scalar);
    if (*rc::gen::arbitrary<bool>()) fields.push_back(":key " + *scalar);
    if (*rc::gen::inRange(0, 10) == 0) fields.erase(fields.begin() + *rc::gen::inRange(0, 3));
    if (*rc::gen::inRange(0, 10) == 0) fields.push_back(":time " + *scalar);
    text += "{";
    for (std::size_t k = 0; k < fields.size(); ++k) text += (k ? *separator : "") + fields[k];
    text += "}" + *rc::gen::element<std::string>("\n", " ", "\n\n", ",\n");
  }
  if (vector) text += "]";
  RC_ASSERT(outcome(read_edn, text) == outcome(read_edn_general_only, text));
}

}  // namespace
}  // namespace simbus::checkers
