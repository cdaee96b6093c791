// The stack with real threads: 4 threads push 1000 values each, then 4 threads pop until
// empty; every value must come out exactly once. Exit 0 if so, 1 otherwise.
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "stack.h"

int main() {
  constexpr int kThreads = 4;
  constexpr int kValuesPerThread = 1000;
  auto stack = std::make_unique<example::Stack<>>();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&stack, t] {
      for (int i = 0; i < kValuesPerThread; ++i) stack->push(t * kValuesPerThread + i);
    });
  }
  for (auto& t : threads) t.join();
  threads.clear();
  std::vector<std::vector<int>> popped(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&stack, &popped, t] {
      while (auto v = stack->pop()) popped[t].push_back(*v);
    });
  }
  for (auto& t : threads) t.join();
  std::vector<int> seen(kThreads * kValuesPerThread, 0);
  for (const auto& values : popped) {
    for (int v : values) seen[v] += 1;
  }
  for (int v = 0; v < kThreads * kValuesPerThread; ++v) {
    if (seen[v] != 1) {
      std::printf("value %d popped %d times\n", v, seen[v]);
      return 1;
    }
  }
  std::printf("%d values pushed and popped once each\n", kThreads * kValuesPerThread);
  return 0;
}
