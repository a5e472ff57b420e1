#include "workloads/client.h"

namespace splitbrain::workloads {

Completion Client::Execute(const Workload& w, const Op& op, ProcessState& st,
                           std::chrono::milliseconds timeout) {
  return CompletionFor(w, op, Send(w.ToCommand(op, st), timeout), st);
}

Completion CompletionFor(const Workload& w, const Op& op, const records::Reply& r,
                         ProcessState& st) {
  Completion c;
  c.node = r.node;
  c.outcome = r.outcome;
  if (r.outcome == records::Outcome::kOk) {
    c.value = w.OkValue(op, r.value);
  } else {
    c.value = (op.f == "read" || op.f == "get") ? nlohmann::json() : op.value;
    c.error = r.error;
  }
  w.Observe(op, c.outcome, c.value, st);
  return c;
}

}  // namespace splitbrain::workloads
