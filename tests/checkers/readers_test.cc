// The readers' translation of each source's meaning, and their errors naming file and line.
#include <gtest/gtest.h>

#include <sstream>

#include "checkers/linearizability.h"
#include "checkers/readers.h"

namespace simbus::checkers {
namespace {

TEST(JepsenEtcd, FailedCasRanAndTimedOutReadIsUnknown) {
  const char* text =
      "INFO  jepsen.util - 0\t:invoke\t:cas\t[1 2]\n"
      "INFO  jepsen.util - 1\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 0\t:fail\t:cas\t[1 2]\n"
      "INFO  jepsen.util - 1\t:fail\t:read\t:timed-out\n"
      "INFO  jepsen.util - 2\t:invoke\t:write\t3\n"
      "INFO  jepsen.util - 2\t:info\t:write\t:timed-out\n"
      "INFO  jepsen.util - 3\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 3\t:ok\t:read\tnil\n";
  History h = read_jepsen_etcd(text, "x.log");
  ASSERT_EQ(h.operations.size(), 4u);
  EXPECT_EQ(h.operations[0].status, Status::ok);
  EXPECT_EQ(h.operations[0].results, std::vector<Value>{Value{std::int64_t{0}}});
  EXPECT_EQ(h.operations[1].status, Status::ok);
  EXPECT_TRUE(h.operations[1].results.empty());
  EXPECT_EQ(h.operations[1].complete_time, 4);
  EXPECT_EQ(h.operations[2].status, Status::info);
  EXPECT_EQ(h.operations[3].results, std::vector<Value>{Value{}});  // nil: the register is empty
}

TEST(JepsenEtcd, BadLineNamesFileAndLine) {
  const char* text =
      "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n"
      "INFO  jepsen.util - 0\t:ok\t:read\tseven\n";
  try {
    read_jepsen_etcd(text, "bad.log");
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.file, "bad.log");
    EXPECT_EQ(e.line, 2);
    EXPECT_NE(std::string(e.what()).find("bad.log:2:"), std::string::npos) << e.what();
  }
}

TEST(Edn, KnossosMeanings) {
  const char* text =
      "[{:process 0, :type :invoke, :f :write, :value 1}\n"
      " {:process 0, :type :fail, :f :write, :value 1}\n"
      " ; a comment, and a missing comma below\n"
      " {:process 1  :type :invoke, :f :read, :value nil}\n"
      " {:process 1, :type :ok, :f :read, :value nil}\n"
      " {:process :nemesis, :type :info, :f :start, :value nil}\n"
      " {:process 2, :type :invoke, :f :cas, :value [0 4]}\n"
      " {:process 2, :type :info, :f :cas, :value [0 4]}]\n";
  History h = read_edn(text, "k.edn");
  ASSERT_EQ(h.operations.size(), 3u);
  EXPECT_EQ(h.operations[0].status, Status::fail);  // did not happen
  EXPECT_EQ(h.operations[1].status, Status::ok);
  EXPECT_TRUE(h.operations[1].results.empty());  // read nil: unknown
  EXPECT_EQ(h.operations[2].status, Status::info);
  EXPECT_EQ(h.operations[2].args.size(), 2u);
  EXPECT_EQ(h.operations[2].line, 7);
}

TEST(Edn, PorcupineKvOneMapPerLine) {
  const char* text =
      "{:process 0, :type :invoke, :f :append, :key \"k\", :value \"x\"}\n"
      "{:process 0, :type :ok, :f :append, :key \"k\", :value \"x\"}\n"
      "{:process 1, :type :invoke, :f :get, :key \"k\", :value nil}\n"
      "{:process 1, :type :ok, :f :get, :key \"k\", :value \"x\"}\n";
  History h = read_edn(text, "kv.txt");
  ASSERT_EQ(h.operations.size(), 2u);
  EXPECT_EQ(h.operations[1].key, "k");
  EXPECT_EQ(h.operations[1].results, std::vector<Value>{Value{std::string("x")}});
  EXPECT_EQ(infer_model(h, HistoryFormat::edn), "kv");
}

TEST(Edn, ErrorsNameTheLine) {
  for (auto [text, line] : {std::pair<const char*, int>{"[{:process 0, :type :invoke, :f :read}\n {:process 0 :type\n", 2},
                            {"[{:process 0, :type :invoke, :f :read}\n\n {:process 3, :type :ok, :f :read}]", 3},
                            {"[{:process 0, :type :invoke, :f :read, :value \"abc}]", 1}}) {
    try {
      read_edn(text, "e.edn");
      ADD_FAILURE() << "no error for " << text;
    } catch (const ParseError& e) {
      EXPECT_EQ(e.line, line) << e.what();
    }
  }
}

TEST(Jsonl, RoundTripAndErrors) {
  History h;
  Operation op;
  op.process = 4;
  op.function = "publish";
  op.key = "room";
  op.args = {Value{std::string("hello")}};
  op.results = {Value{std::int64_t{1}}};
  op.invoke_time = 10;
  op.complete_time = 20;
  h.operations.push_back(op);
  op.status = Status::info;
  op.results.clear();
  op.complete_time = kTimeNever;
  h.operations.push_back(op);
  std::ostringstream out;
  write_jsonl(h, out, "channel");
  std::string model;
  History back = read_jsonl(out.str(), "h.jsonl", &model);
  EXPECT_EQ(model, "channel");
  ASSERT_EQ(back.operations.size(), 2u);
  EXPECT_EQ(back.operations[0].args, h.operations[0].args);
  EXPECT_EQ(back.operations[0].results, h.operations[0].results);
  EXPECT_EQ(back.operations[1].status, Status::info);
  EXPECT_EQ(back.operations[1].complete_time, kTimeNever);

  try {
    read_jsonl("{\"process\":1,\"function\":\"read\",\"status\":\"ok\",\"invoke_time\":1,\"complete_time\":2}\n"
               "{\"process\":1,\"function\":\"read\",\"status\":\"maybe\",\"invoke_time\":3}\n",
               "h.jsonl");
    FAIL() << "no error";
  } catch (const ParseError& e) {
    EXPECT_EQ(e.line, 2);
  }
}

}  // namespace
}  // namespace simbus::checkers
