#include "workloads/client.h"

namespace splitbrain::workloads {

Completion Client::Execute(const Workload& w, const Op& op, ProcessState& st,
                           std::chrono::milliseconds timeout) {
  Completion c;
  node::Reply r = Send(w.ToCommand(op, st), timeout, &c.node);
  switch (r.outcome) {
    case node::Outcome::kOk:
      c.type = "ok";
      c.value = w.OkValue(op, r.value);
      break;
    case node::Outcome::kFail:
      c.type = "fail";
      c.value = (op.f == "read" || op.f == "get") ? nlohmann::json() : op.value;
      c.error = r.error;
      break;
    case node::Outcome::kUnknown:
      c.type = "info";
      c.value = (op.f == "read" || op.f == "get") ? nlohmann::json() : op.value;
      c.error = r.error;
      break;
  }
  w.Observe(op, c.type, c.value, st);
  return c;
}

}  // namespace splitbrain::workloads
