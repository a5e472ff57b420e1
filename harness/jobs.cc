#include "harness/jobs.h"

#include <signal.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include "harness/subprocess.h"

namespace splitbrain::harness {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Job {
  size_t pair = 0;
  std::unique_ptr<ManagedProcess> process;
  std::string log, outcome;
};

std::string Tail(const std::string& path, size_t max_lines) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > max_lines) lines.erase(lines.begin());
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// The outcome the child wrote; else one that says how it ended.
TestOutcome Collect(Job& job, const std::string& label) {
  std::ifstream in(job.outcome);
  json j = in ? json::parse(in, nullptr, false) : json();
  if (j.is_array() && j.size() == 1) return OutcomeFromJson(j[0]);
  TestOutcome o = OutcomeFromJson(json());
  o.name = label;
  const int code = job.process->exit_code();
  o.why = "its `splitbrain run` " +
          (code < 0 ? std::string("was killed by a signal") : "exited " + std::to_string(code)) +
          " without an outcome; its last output:\n" + Tail(job.log, 20);
  return o;
}

const char* Verdict(const json& v) {
  if (v == true) return "valid";
  if (v == false) return "INVALID";
  return "unknown";
}

}  // namespace

JobsResult RunJobs(const JobsOptions& options, std::ostream& status) {
  JobsResult result;
  const size_t total = options.labels.size();
  std::string pattern = (fs::temp_directory_path() / "splitbrain-jobs-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    for (size_t i = 0; i < total; ++i) {
      TestOutcome o = OutcomeFromJson(json());
      o.name = options.labels[i];
      o.why =
          "cannot make a folder for the jobs' output under " + fs::temp_directory_path().string();
      result.outcomes.push_back(o);
    }
    return result;
  }
  const fs::path dir = pattern;
  std::vector<Job> running;
  size_t next = 0, done = 0;
  auto last_forward = std::chrono::steady_clock::time_point();
  while (next < total || !running.empty()) {
    const bool stopping = options.stop && options.stop->load();
    while (!stopping && next < total && running.size() < static_cast<size_t>(options.jobs)) {
      Job job;
      job.pair = next;
      job.log = (dir / (std::to_string(next) + ".log")).string();
      job.outcome = (dir / (std::to_string(next) + ".json")).string();
      std::vector<std::string> argv = options.child_argv;
      argv.insert(argv.end(), {"--pair", std::to_string(next), "--outcome-file", job.outcome});
      job.process = std::make_unique<ManagedProcess>();
      Status s = job.process->Start(argv, job.log);
      ++next;
      if (!s.ok()) {
        TestOutcome o = OutcomeFromJson(json());
        o.name = options.labels[job.pair];
        o.why = s.ToString();
        result.outcomes.push_back(o);
        ++done;
        continue;
      }
      running.push_back(std::move(job));
    }
    if (stopping) {
      // Forwarded again every half second: a child may not have its handlers yet (lab.h).
      const auto now = std::chrono::steady_clock::now();
      if (now - last_forward > std::chrono::milliseconds(500)) {
        const int sig = options.stop_signal && options.stop_signal->load()
                            ? options.stop_signal->load()
                            : SIGTERM;
        for (auto& job : running) (void)job.process->Signal(sig);
        last_forward = now;
      }
      while (next < total) result.not_run.push_back(options.labels[next++]);
    }
    for (size_t i = 0; i < running.size();) {
      if (running[i].process->Running()) {
        ++i;
        continue;
      }
      TestOutcome o = Collect(running[i], options.labels[running[i].pair]);
      ++done;
      status << "[" << done << "/" << total << "] " << options.labels[running[i].pair] << ": "
             << Verdict(o.valid) << " (expected " << o.expect << ") -> "
             << (o.run_dir.empty() ? "-" : o.run_dir) << std::endl;
      result.outcomes.push_back(std::move(o));
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return result;
}

}  // namespace splitbrain::harness
