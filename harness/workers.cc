#include "harness/workers.h"

#include <algorithm>
#include <thread>

namespace splitbrain::harness {
using std::chrono::milliseconds;

workloads::Completion Workers::RunOp(workloads::Client& client, workloads::ProcessState& st,
                                     const workloads::Op& op, milliseconds timeout,
                                     std::vector<int64_t>* latencies) {
  const int64_t t0 = history_.Invoke(st.process, op.f, op.key, op.value);
  workloads::Completion c = client.Execute(workload_, op, st, timeout);
  const int64_t t1 = history_.Complete(st.process, op.f, op.key, c.outcome, c.value, c.node);
  if (c.outcome == records::Outcome::kOk && latencies) latencies->push_back(t1 - t0);
  return c;
}

void Workers::Run(workloads::GenPtr gen, int concurrency, milliseconds op_timeout) {
  {
    std::lock_guard<std::mutex> lock(gen_mu_);
    gen_ = std::move(gen);
    next_process_ = concurrency;
  }
  std::vector<std::thread> workers;
  for (int i = 0; i < concurrency; ++i) {
    workers.emplace_back([this, i, op_timeout] { Worker(i, op_timeout); });
  }
  for (auto& t : workers) t.join();
}

void Workers::Worker(int slot, milliseconds timeout) {
  std::unique_ptr<workloads::Client> client = system_.NewClient(static_cast<size_t>(slot));
  workloads::ProcessState st;
  st.process = slot;
  std::vector<int64_t> lat;
  while (!clock_.Interrupted()) {
    workloads::Op op;
    {
      std::unique_lock<std::mutex> lock(gen_mu_);
      workloads::Context ctx{clock_.Now(), st.process, in_flight_};
      workloads::GenResult r = gen_->Next(ctx);
      if (r.kind == workloads::GenResult::kExhausted) break;
      if (r.kind == workloads::GenResult::kPending) {
        lock.unlock();
        clock_.SleepUntil(std::min(r.wake_ns, ctx.time_ns + 50'000'000));
        continue;
      }
      op = std::move(r.op);
      workload_.Prepare(op, st);
      ++in_flight_;
    }
    workloads::Completion c = RunOp(*client, st, op, timeout, &lat);
    // A lock holder keeps its lock a while before it releases it.
    if (const int64_t hold = workload_.HoldAfterNs(op, c.outcome); hold > 0) {
      clock_.SleepUntil(clock_.Now() + hold);
    }
    {
      std::lock_guard<std::mutex> lock(gen_mu_);
      --in_flight_;
      if (c.outcome == records::Outcome::kUnknown) {
        // Jepsen: a process whose operation is indeterminate never invokes again; a fresh
        // process id takes its place (and a fresh connection, unless the client renews itself:
        // an exec client program that answered is kept, since starting an interpreter again
        // costs the slot tens of milliseconds, seconds on a loaded machine).
        st = workloads::ProcessState();
        st.process = next_process_++;
        if (!client->Renew()) client = system_.NewClient(static_cast<size_t>(slot));
      }
    }
  }
  // A process still holding something when the run ends (a lock) lets go of it, as a client
  // that shuts down cleanly does, so that the holder does not just vanish and its lease or TTL
  // hand the lock to a waiter behind its back. Recorded like any operation.
  for (const workloads::Op& op : workload_.CleanupOps(st)) {
    if (clock_.Interrupted()) break;
    RunOp(*client, st, op, timeout, &lat);
  }
  std::lock_guard<std::mutex> lock(lat_mu_);
  latencies_ns_.insert(latencies_ns_.end(), lat.begin(), lat.end());
}

void Workers::FinalReads(int64_t recovery_ns) {
  const auto ops = workload_.FinalReads();
  if (ops.empty()) return;
  const int64_t deadline = MonoNow() + recovery_ns;
  std::unique_ptr<workloads::Client> client = system_.NewClient(0);
  std::lock_guard<std::mutex> lock(gen_mu_);  // the workers have ended; this owns the ids now
  int64_t process = next_process_;
  for (const auto& op0 : ops) {
    while (MonoNow() < deadline && !clock_.Interrupted()) {
      workloads::ProcessState st;
      st.process = process;
      auto c = RunOp(*client, st, op0, milliseconds(2000), nullptr);
      if (c.outcome == records::Outcome::kUnknown) {
        process++;
        if (!client->Renew()) client = system_.NewClient(0);
      }
      if (c.outcome == records::Outcome::kOk) break;
      std::this_thread::sleep_for(milliseconds(100));
    }
  }
  next_process_ = process + 1;
}

std::vector<int64_t> Workers::Latencies() const {
  std::lock_guard<std::mutex> lock(lat_mu_);
  return latencies_ns_;
}

}  // namespace splitbrain::harness
