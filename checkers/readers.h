// History files: Porcupine's Jepsen etcd logs, Jepsen/Knossos EDN histories and our own
// JSON Lines format. Each reader translates its source's meaning of fail/info/nil into the
// one meaning of history.h, and names the file and line of anything it cannot parse.
#pragma once

#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "checkers/history.h"

namespace simbus::checkers {

struct ParseError : std::runtime_error {
  ParseError(const std::string& file, std::int64_t line, const std::string& message);
  std::string file;
  std::int64_t line;
};

// A whole input file through base::read_input (its size, line and text limits), with the
// reader's failures as ParseError naming the file and line.
std::string read_input_file(const std::string& path);

// Jepsen etcd logs as Porcupine reads them: `:fail :cas` ran and did not swap, `:fail
// :read :timed-out` is a read with unknown result, `:info` is unknown, nil reads mean
// the register is empty.
History read_jepsen_etcd(std::string_view text, const std::string& file);

// Jepsen EDN histories, Knossos's meaning: `:fail` did not happen, `:info` may have, a read
// of nil is unknown. Takes a vector of op maps or one map per line (Porcupine's kv logs);
// ops of non-integer processes (the nemesis) are skipped.
History read_edn(std::string_view text, const std::string& file);
// read_edn without its fast path for flat maps: the reference the tests compare it to.
History read_edn_general_only(std::string_view text, const std::string& file);

// One JSON object per operation (docs/checkers.md). An optional first line
// {"simbus_history": 1, "model": "..."} names the model; it is returned in `model`.
History read_jsonl(std::string_view text, const std::string& file, std::string* model = nullptr);
void write_jsonl(const History& history, std::ostream& out, std::string_view model = {});

enum class HistoryFormat : std::uint8_t { auto_detect, jepsen_etcd, edn, jsonl };

struct LoadedHistory {
  History history;
  HistoryFormat format = HistoryFormat::auto_detect;
  std::string model;  // the model the file names or its format implies
};

// Reads and parses a file; throws ParseError (also when the file cannot be read).
LoadedHistory load_history(const std::string& path, HistoryFormat format);

// The model a history's functions imply when its file does not name one: register for
// etcd logs, cas-register for other read/write/cas histories, kv, mutex, multi-register,
// channel. "" if none fits.
std::string infer_model(const History& history, HistoryFormat format);

}  // namespace simbus::checkers
