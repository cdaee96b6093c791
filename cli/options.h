// Strict validators for the numeric options of every command. CLI11 alone converts "-1" to
// 2^64-1 for an unsigned option, accepts " 5" and "0x10", and echoes a bad token whole; these
// accept decimal digits only, within documented bounds, and quote at most an excerpt.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace simbus::cli {

// The documented maxima (docs/cli.md, "Numeric options").
inline constexpr std::uint64_t kRunsMax = 1'000'000'000'000;           // explore --runs
inline constexpr std::uint64_t kStepsMax = 1'000'000'000'000;          // check --steps-max
inline constexpr std::uint64_t kMemoryMbMax = 1 << 20;                 // check --memory-max-mb
inline constexpr std::uint64_t kThreadsMax = 1024;                     // check --threads
inline constexpr std::uint64_t kAttemptsMax = 10'000'000;              // shrink --attempts
inline constexpr std::uint64_t kStepsBudgetMax = 100'000'000'000;    // shrink --steps-budget
inline constexpr double kSecondsMax = 10'000'000;                      // every --time-limit, ~115 days
inline constexpr std::uint64_t kCtestTimeoutSMax = 7 * 24 * 3600;      // suite-ctest --timeout
inline constexpr std::uint64_t kMicrosecondsMax = std::uint64_t{1} << 62;
inline constexpr std::uint32_t kShardsMax = 1 << 20;                   // explore --shard K/M, M at most

// A whole number in [min, max] written with decimal digits only.
CLI::Validator whole_number(std::uint64_t min, std::uint64_t max);
// A non-negative decimal number of seconds (digits, an optional fraction) at most max.
CLI::Validator seconds(double max);
// Cuts a message for stderr to its first bytes_max bytes, saying how long it was.
std::string bounded_message(const std::string& message, std::size_t bytes_max = 512);

}  // namespace simbus::cli
