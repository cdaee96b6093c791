// Failure signatures: what makes two failures "the same bug". A signature is the failed
// check, the site that detected it (file and function, no line number, so it survives
// unrelated edits) and the message's first line with everything seed-specific abstracted
// (numbers, ids, times, indexes, hashes). The same seeded bug found on different seeds,
// runs and commits gives the same signature; explore/suite/merge group failures by it,
// JUnit names its testcases by it, and shrink accepts a candidate only if it keeps it.
#pragma once

#include <string>
#include <string_view>

#include "scenarios/scenario.h"

namespace simbus::cli {

struct Signature {
  std::string check;    // the failed check's name, as is
  std::string site;     // "<file basename>:<function>", or "" when unknown
  std::string pattern;  // normalize_message(message)
  // The identity: "check|site|pattern". Two failures are the same bug iff their keys are equal.
  std::string key() const;
  // 8 hex digits (FNV-1a 32 of key()): a short stable name for JUnit testcases and JSON.
  std::string id() const;
  bool operator==(const Signature&) const = default;
};

// The message's first line with digit runs as N, hex hashes (>= 8 hex digits) as H, lists
// and ranges of numbers ("N, N, N", "N..N") as one N, whitespace collapsed, at most
// kPatternCharsMax characters.
std::string normalize_message(std::string_view message);
inline constexpr std::size_t kPatternCharsMax = 160;

// `file` may be a path (its basename is kept); the site is "basename:function", "" if both empty.
std::string make_site(std::string_view file, std::string_view function);
Signature make_signature(std::string_view check, std::string_view message, std::string_view site);
Signature signature_of(const scenarios::RunResult& result);
bool same_signature(const scenarios::RunResult& a, const scenarios::RunResult& b);

}  // namespace simbus::cli
