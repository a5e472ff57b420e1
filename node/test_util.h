// What the node's test files share (header only, tests only): node_test and
// node_integration_test each compile their files as one unit (cmake/Testing.cmake), so a helper
// two files need lives here, never as two definitions of one name.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "raft/types.h"

namespace splitbrain::node::testing {

// The caller's side: an io_context run by a thread of its own, as the node's main thread runs it.
class HandlerLoop {
 public:
  HandlerLoop() : work_(ioc_.get_executor()), thread_([this] { ioc_.run(); }) {}
  ~HandlerLoop() {
    work_.reset();
    ioc_.stop();
    thread_.join();
  }
  boost::asio::io_context& ioc() { return ioc_; }
  std::thread::id id() const { return thread_.get_id(); }
  // Runs `fn` on the loop's thread and waits for it.
  template <typename Fn>
  auto Run(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    boost::asio::post(ioc_, [&task] { task(); });
    return result.get();
  }

 private:
  boost::asio::io_context ioc_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

// A log entry whose data names its index and term, or `data` when given.
inline raft::Entry E(uint64_t index, uint64_t term, std::string data = "") {
  raft::Entry e;
  e.index = index;
  e.term = term;
  e.data = data.empty() ? "cmd-" + std::to_string(index) + "-" + std::to_string(term) : data;
  return e;
}

// A new empty directory under the system's temporary directory, named after `name` (a test
// fails when it cannot be made).
inline std::string TempDir(const std::string& name) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / ("sb-node-" + name + "-XXXXXX")).string();
  char* d = ::mkdtemp(tmpl.data());
  EXPECT_NE(d, nullptr) << tmpl;
  return tmpl;
}

#ifdef SPLITBRAIN_NODE_BINARY
// The splitbrain-node built with the test (the integration tests start it).
inline constexpr const char* kNodeBinary = SPLITBRAIN_NODE_BINARY;
#endif

}  // namespace splitbrain::node::testing
