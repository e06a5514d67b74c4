#pragma once
// The simplest global router: a request goes to one of the clusters that serve its model,
// in turn (round robin). Request::model indexes the traffic's model names.
#include <cstdint>
#include <string>
#include <vector>

#include "models/request.h"

namespace capsim::serving {

class ModelRouter final : public RequestSink {
 public:
  /// `serves[m]` lists the sinks (clusters) that serve traffic model m; none may be empty.
  ModelRouter(RequestPool& pool, std::vector<std::vector<RequestSink*>> serves)
      : pool_(pool), serves_(std::move(serves)), next_(serves_.size(), 0) {}
  void submit(RequestId id) override {
    const auto m = pool_[id].model;
    auto& sinks = serves_[m];
    auto& n = next_[m];
    RequestSink* s = sinks[n];
    n = n + 1 == sinks.size() ? 0 : n + 1;
    s->submit(id);
  }

 private:
  RequestPool& pool_;
  std::vector<std::vector<RequestSink*>> serves_;
  std::vector<std::size_t> next_;
};

}  // namespace capsim::serving
