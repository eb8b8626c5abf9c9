// Domain rules above the store: lifecycle changes and workflow admission, as orchestrator-core
// applies them (SAFE_USED_BY_TRANSITIONS_FOR_STATUS, subscription_workflows).
#include "interpreter/domain/domain.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "interpreter/util/util.hpp"

namespace wfrun {

namespace {

// Statuses that subscriptions using this one may have when it moves to a status.
const std::map<std::string, std::vector<std::string>>& safe_used_by() {
    static const std::map<std::string, std::vector<std::string>> table = {
        {"initial", {"initial"}},
        {"active", {"initial", "provisioning", "migrating", "active", "terminated", "disabled"}},
        {"migrating", {"initial", "migrating", "terminated"}},
        {"provisioning", {"initial", "provisioning", "active", "terminated"}},
        {"terminated", {"initial", "terminated"}},
        {"disabled", {"initial", "disabled", "terminated"}},
    };
    return table;
}

std::optional<std::string> missing_in_block(const catalog_model& model, const block_def& block,
                                            const json& instance, int rank,
                                            const std::string& path) {
    for (const auto& f : block.fields) {
        auto it = instance.find(f.name);
        bool unset = it == instance.end() || it->is_null();
        std::string here = path + "." + f.name;
        if (f.is_block) {
            if (unset) return here;
            if (const auto* b = model.block(f.type))
                if (auto m = missing_in_block(model, *b, *it, rank, here)) return m;
        } else if (unset && !f.required_from.empty() && lifecycle_rank(f.required_from) <= rank) {
            return here;
        }
    }
    return std::nullopt;
}

std::string python_list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i)
        out += fmt::format("{}'{}'", i ? ", " : "", items[i]);
    return out + "]";
}

}  // namespace

std::optional<std::string> missing_required_field(const catalog_model& model,
                                                  const json& subscription,
                                                  const std::string& lifecycle) {
    int rank = lifecycle_rank(lifecycle);
    if (rank < 0) return std::nullopt;
    const auto& type = subscription.at("product").at("name").get_ref<const std::string&>();
    const auto* product = model.product(type);
    if (!product) return std::nullopt;
    const auto* block = model.block(product->root_block);
    auto root = subscription.find(product->root_field);
    if (root == subscription.end() || root->is_null()) return product->root_field;
    if (!block) return std::nullopt;
    if (auto m = missing_in_block(model, *block, *root, rank, product->root_field)) return m;
    return std::nullopt;
}

json domain_access::load(std::string_view subscription_id) {
    auto s = store_.load_subscription(std::string(subscription_id));
    if (!s) throw value_error(fmt::format("Subscription {} not found", subscription_id));
    return std::move(*s);
}

json domain_access::create(std::string_view product_id, std::string_view customer_id) {
    std::string customer = customer_id.empty() ? new_uuid() : std::string(customer_id);
    json model = store_.new_subscription(std::string(product_id), customer);
    deferred_.add([model](store& s) { s.save_subscription(model); });
    return model;
}

json domain_access::change_lifecycle(const json& subscription, std::string_view lifecycle_view) {
    std::string lifecycle(lifecycle_view);
    if (!is_lifecycle(lifecycle))
        throw value_error(fmt::format("'{}' is not a lifecycle", lifecycle));
    if (auto missing = missing_required_field(model_, subscription, lifecycle))
        throw value_error(
            fmt::format("Subscription cannot be {}: field '{}' is required", lifecycle, *missing));
    const auto& id = subscription.at("subscription_id").get_ref<const std::string&>();
    const auto& safe = safe_used_by().at(lifecycle);
    std::vector<std::string> unsafe;
    for (const auto& user : store_.in_use_by(id))
        if (std::find(safe.begin(), safe.end(), user.status) == safe.end())
            unsafe.push_back(user.description);
    if (!unsafe.empty())
        throw value_error("Unsafe status change of Subscription with depending subscriptions: " +
                          python_list(unsafe));
    json out = subscription;
    out["status"] = lifecycle;
    if (lifecycle == "active" && out.value("start_date", json()).is_null())
        out["start_date"] = now_iso();
    if (lifecycle == "terminated" && out.value("end_date", json()).is_null())
        out["end_date"] = now_iso();
    return out;
}

void domain_access::link_process(std::string_view process_id, std::string_view subscription_id,
                                 std::string_view workflow_target) {
    auto target = parse_workflow_target(workflow_target);
    if (!target) throw value_error(fmt::format("unknown workflow target '{}'", workflow_target));
    deferred_.add([pid = std::string(process_id), sid = std::string(subscription_id),
                   t = *target](store& s) { s.link_process_subscription(pid, sid, t); });
}

std::vector<std::string> usable_lifecycles(workflow_target target) {
    if (target == workflow_target::create) return {};
    if (target == workflow_target::terminate) return {"active", "provisioning"};
    return {"active"};
}

bool holds_subscription(const process_row& p) {
    return !p.is_task && !is_ended(p.last_status);
}

std::vector<process_row> live_holders(store& s, const std::string& subscription_id) {
    std::vector<process_row> out;
    for (auto& p : s.subscription_processes(subscription_id))
        if (holds_subscription(p)) out.push_back(std::move(p));
    return out;
}

std::optional<std::string> start_refusal(store& s, const workflow_def& workflow,
                                         const std::string& subscription_id,
                                         std::vector<subscription_row>* blocking) {
    auto sub = s.subscription(subscription_id);
    if (!sub) return "Subscription not found";
    auto linked = s.product_workflows(sub->product.product_id);
    if (std::find(linked.begin(), linked.end(), workflow.name) == linked.end())
        return "This workflow is not valid for this subscription";
    if (!workflow.is_task) {
        if (!sub->insync) return "Subscription already has a running process or task";
        std::vector<subscription_row> out_of_sync;
        for (auto& r : s.in_use_by(subscription_id))
            if (!r.insync) out_of_sync.push_back(std::move(r));
        for (auto& r : s.depends_on(subscription_id))
            if (!r.insync) out_of_sync.push_back(std::move(r));
        if (!out_of_sync.empty()) {
            if (blocking) *blocking = std::move(out_of_sync);
            return "This subscription can not be modified because some related subscriptions are "
                   "not insync";
        }
    }
    auto usable = usable_lifecycles(workflow.target);
    if (std::find(usable.begin(), usable.end(), sub->status) == usable.end())
        return "This subscription can not be modified because of the status it has";
    if (workflow.target == workflow_target::terminate) {
        std::vector<subscription_row> users;
        for (auto& r : s.in_use_by(subscription_id))
            if (r.status != "terminated") users.push_back(std::move(r));
        if (!users.empty()) {
            if (blocking) *blocking = std::move(users);
            return "This subscription can not be modified as it is used in other subscriptions";
        }
    }
    return std::nullopt;
}

std::optional<std::string> admission_refusal(store& s, const workflow_def& workflow,
                                             const std::string& subscription_id) {
    auto reason = start_refusal(s, workflow, subscription_id);
    // A live process holds its subscription even before its `unsync`: a process is linked to
    // its subscription when it is created.
    if (!reason && !workflow.is_task && !live_holders(s, subscription_id).empty())
        reason = "Subscription already has a running process or task";
    return reason;
}

}  // namespace wfrun
