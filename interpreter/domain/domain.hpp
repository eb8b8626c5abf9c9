// The domain rules around subscriptions that sit above the store: lifecycle changes with
// their field requirements and the in-use-by safety table, and the admission checks that decide
// whether a workflow may start on a subscription. Steps reach them through wfrun::subscriptions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <wfrun/step.hpp>

#include "interpreter/domain/model.hpp"
#include "interpreter/store/store.hpp"

namespace wfrun {

// A step's writes, kept while its code runs without the store's write lock, and applied in the
// order it made them once the step's own transaction is open (open()); from then on a write is
// made at once. So they commit together with the step's row, or not at all.
class deferred_writes {
  public:
    void add(std::function<void(store&)> write) {
        if (open_)
            write(*open_);
        else
            pending_.push_back(std::move(write));
    }
    bool pending() const { return !pending_.empty(); }
    void open(store& s) {
        open_ = &s;
        for (const auto& w : pending_) w(s);
        pending_.clear();
    }

  private:
    std::vector<std::function<void(store&)>> pending_;
    store* open_ = nullptr;
};

// wfrun::subscriptions for steps, on a store and the catalog's product model. create() and
// link_process() write nothing themselves: their writes are added to `deferred`.
class domain_access final : public subscriptions {
  public:
    domain_access(store& s, const catalog_model& model, deferred_writes& deferred)
        : store_(s), model_(model), deferred_(deferred) {}
    json load(std::string_view subscription_id) override;
    json create(std::string_view product_id, std::string_view customer_id) override;
    json change_lifecycle(const json& subscription, std::string_view lifecycle) override;
    void link_process(std::string_view process_id, std::string_view subscription_id,
                      std::string_view workflow_target) override;

  private:
    store& store_;
    const catalog_model& model_;
    deferred_writes& deferred_;
};

// The first required field of `subscription` that is unset for `lifecycle`, as a dotted path
// (`user_group.group_id`); nullopt when the subscription fits the lifecycle.
std::optional<std::string> missing_required_field(const catalog_model& model,
                                                  const json& subscription,
                                                  const std::string& lifecycle);

// Why `workflow` may not start on the subscription now, in orchestrator-core's words
// (without the "This workflow cannot be started: " prefix); nullopt when it may.
// `blocking` receives the subscriptions behind an in-use or out-of-sync reason.
std::optional<std::string> start_refusal(store& s, const workflow_def& workflow,
                                         const std::string& subscription_id,
                                         std::vector<subscription_row>* blocking = nullptr);

// start_refusal, and also refused while a live process holds the subscription: the check made
// when a process is about to be created on it.
std::optional<std::string> admission_refusal(store& s, const workflow_def& workflow,
                                             const std::string& subscription_id);

// Lifecycles in which a workflow of this target may start: MODIFY, VALIDATE, SYSTEM `active`;
// TERMINATE `active` and `provisioning`; CREATE none.
std::vector<std::string> usable_lifecycles(workflow_target target);

// The rule that locks a subscription against other workflows and against set-in-sync: a process
// holds the subscriptions it is linked to while it is a workflow (not a task) that has not ended.
bool holds_subscription(const process_row& p);
// The processes holding the subscription now (see holds_subscription).
std::vector<process_row> live_holders(store& s, const std::string& subscription_id);

}  // namespace wfrun
