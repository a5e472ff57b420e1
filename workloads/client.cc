#include "workloads/client.h"

namespace splitbrain::workloads {

Completion Client::Execute(const Workload& w, const Op& op, ProcessState& st,
                           std::chrono::milliseconds timeout) {
  Completion c;
  records::Reply r = Send(w.ToCommand(op, st), timeout);
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
