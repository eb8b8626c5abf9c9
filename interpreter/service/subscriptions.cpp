// Service operations on subscriptions: the list, one subscription's domain model, the
// workflows that may start on it (with the reason when one may not), and set-in-sync.
#include <cctype>

#include <fmt/format.h>

#include "interpreter/domain/domain.hpp"
#include "interpreter/service/service.hpp"

namespace wfrun::service {

namespace {

error subscription_not_found(const std::string& id) {
    return error(error_kind::not_found, fmt::format("Subscription {} not found", id));
}

}  // namespace

json subscriptions(runtime& rt, const subscription_filter& filter) {
    json out = json::array();
    for (const auto& s : rt.storage().subscriptions(filter))
        out.push_back(subscription_row_json(s));
    return out;
}

json subscription_domain_model(runtime& rt, const std::string& subscription_id) {
    auto& st = rt.storage();
    auto model = st.load_subscription(subscription_id);
    if (!model) throw subscription_not_found(subscription_id);
    (*model)["in_use_by"] = related_json(st.in_use_by(subscription_id));
    (*model)["depends_on"] = related_json(st.depends_on(subscription_id));
    return std::move(*model);
}

json subscription_workflows(runtime& rt, const std::string& subscription_id) {
    auto& st = rt.storage();
    auto sub = st.subscription(subscription_id);
    if (!sub) throw subscription_not_found(subscription_id);
    json out = json::array();
    for (const auto& name : st.product_workflows(sub->product.product_id)) {
        const auto* plan = rt.catalog_ref().plan(name);
        if (!plan || plan->def.target == workflow_target::create) continue;
        std::vector<subscription_row> blocking;
        auto reason = start_refusal(st, plan->def, subscription_id, &blocking);
        json entry = {{"name", name},
                      {"target", plan->def.target},
                      {"description", plan->def.description},
                      {"allowed", !reason}};
        if (reason) {
            entry["reason"] = *reason;
            if (!blocking.empty()) entry["blocked_by"] = related_json(blocking);
        }
        out.push_back(std::move(entry));
    }
    return out;
}

json subscription_workflow_lists(runtime& rt, const std::string& subscription_id) {
    json out = json::object();
    for (const char* target : {"create", "modify", "terminate", "system", "reconcile", "validate"})
        out[target] = json::array();
    for (const auto& w : subscription_workflows(rt, subscription_id)) {
        json item = {{"name", w["name"]}, {"description", w["description"]}};
        if (w.contains("reason")) item["reason"] = w["reason"];
        auto target = w["target"].get<std::string>();
        for (auto& c : target) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (out.contains(target)) out[target].push_back(std::move(item));
    }
    return out;
}

void set_in_sync(runtime& rt, const std::string& subscription_id) {
    auto& st = rt.storage();
    if (!st.subscription(subscription_id)) throw subscription_not_found(subscription_id);
    // The check and the write share one transaction under the subscription's lock, so no
    // process can take the subscription in between (subscription_store.hpp).
    st.begin();
    std::string message;
    json held = json::array();
    try {
        st.lock_subscription(subscription_id);
        for (const auto& p : live_holders(st, subscription_id)) {
            message += fmt::format("\n  {} ({}, {})", p.process_id, p.workflow_name, p.last_status);
            held.push_back({{"process_id", p.process_id},
                            {"workflow_name", p.workflow_name},
                            {"last_status", p.last_status}});
        }
        if (held.empty()) {
            st.set_insync(subscription_id, true);
            st.commit();
            return;
        }
    } catch (...) {
        st.rollback();
        throw;
    }
    st.rollback();
    throw error(
        error_kind::conflict,
        fmt::format("Subscription {} is still held by a live process:{}", subscription_id, message),
        std::move(held));
}

}  // namespace wfrun::service
