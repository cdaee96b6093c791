// A lock-free (Treiber) stack of ints over a fixed pool of nodes. Written against
// simbus::concurrency, which is std unless SIMBUS_SIM is defined (sim/std_switch.h).
//
// kRacyPop seeds an atomicity bug: pop reads the top and then stores its successor, two
// steps another thread can come between (a pop or a push in between is lost or repeated);
// the fixed pop is one compare-exchange.
#pragma once

#include <array>
#include <cassert>
#include <optional>

#include "sim/std_switch.h"

namespace example {

namespace conc = simbus::concurrency;

template <bool kRacyPop = false>
class Stack {
 public:
  // Nodes are taken from the pool once and never reused while the stack lives, so a
  // compare-exchange on an index never meets a recycled node (no ABA).
  static constexpr int kNodesMax = 1 << 14;

  void push(int value) {
    const int node = allocated_.fetch_add(1, conc::memory_order_relaxed);
    assert(node < kNodesMax);
    nodes_[node].value = value;
    int top = head_.load(conc::memory_order_relaxed);
    do {
      nodes_[node].next = top;
    } while (!head_.compare_exchange_weak(top, node, conc::memory_order_release, conc::memory_order_relaxed));
  }

  std::optional<int> pop() {
    int top = head_.load(conc::memory_order_acquire);
    if constexpr (kRacyPop) {
      if (top == kEmpty) return std::nullopt;
      head_.store(nodes_[top].next, conc::memory_order_release);  // the bug: not one step with the load
    } else {
      while (top != kEmpty &&
             !head_.compare_exchange_weak(top, nodes_[top].next, conc::memory_order_acq_rel,
                                          conc::memory_order_acquire)) {
      }
      if (top == kEmpty) return std::nullopt;
    }
    return nodes_[top].value;
  }

 private:
  static constexpr int kEmpty = -1;
  struct Node {
    int value = 0;
    int next = kEmpty;  // written before the node is published, read after
  };
  conc::atomic<int> head_{kEmpty};
  conc::atomic<int> allocated_{0};
  std::array<Node, kNodesMax> nodes_{};
};

}  // namespace example
