// The JSON shapes of orchestrator-core's REST API, built from store rows and the engine's view
// of a process.
#include "interpreter/service/shapes.hpp"

namespace wfrun::service {

json state_delta(const json& before, const json& now) {
    json delta = json::object();
    if (!now.is_object()) return delta;
    for (const auto& [key, value] : now.items()) {
        auto it = before.is_object() ? before.find(key) : before.end();
        if (before.is_object() && it != before.end()) {
            if (*it == value) continue;
            if (it->is_object() && value.is_object()) {
                delta[key] = state_delta(*it, value);
                continue;
            }
        }
        delta[key] = value;
    }
    return delta;
}

json subscription_row_json(const subscription_row& s) {
    auto opt = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
    return {{"subscription_id", s.subscription_id},
            {"description", s.description},
            {"status", s.status},
            {"insync", s.insync},
            {"customer_id", s.customer_id},
            {"start_date", opt(s.start_date)},
            {"end_date", opt(s.end_date)},
            {"note", opt(s.note)},
            {"version", s.version},
            {"product", product_json(s.product)}};
}

json product_json(const product_row& p) {
    return {{"product_id", p.product_id},     {"name", p.name}, {"description", p.description},
            {"product_type", p.product_type}, {"tag", p.tag},   {"status", p.status}};
}

json related_json(const std::vector<subscription_row>& rows) {
    json out = json::array();
    for (const auto& r : rows)
        out.push_back({{"subscription_id", r.subscription_id},
                       {"description", r.description},
                       {"status", r.status},
                       {"insync", r.insync}});
    return out;
}

json process_json(engine& eng, const process_row& p, bool with_steps) {
    auto empty_null = [](const std::string& s) { return s.empty() ? json(nullptr) : json(s); };
    json out = {{"process_id", p.process_id},
                {"workflow_name", p.workflow_name},
                {"workflow_target", p.target},
                {"last_status", p.last_status},
                {"last_step", empty_null(p.last_step)},
                {"started_at", p.started_at},
                {"last_modified_at", p.last_modified_at},
                {"failed_reason", empty_null(p.failed_reason)},
                {"created_by", p.created_by},
                {"assignee", p.assignee},
                {"is_task", p.is_task},
                {"orphaned", eng.orphaned(p)}};
    if (!with_steps) return out;

    auto& st = eng.storage();
    json steps = json::array();
    const json* previous = nullptr;  // the last success/skipped/complete state
    auto rows = st.steps(p.process_id);
    for (const auto& r : rows) {
        bool cleared = is_cleared(r.status);
        json delta =
            cleared ? state_delta(previous ? *previous : json::object(), r.state) : json::object();
        steps.push_back({{"step_id", r.step_id},
                         {"name", r.name},
                         {"status", r.status},
                         {"created_by", r.created_by},
                         {"started", r.started_at},
                         {"completed", r.completed_at},
                         {"executed", r.completed_at},
                         {"state", r.state},
                         {"state_delta", std::move(delta)}});
        if (cleared) previous = &r.state;
    }
    auto recovered = eng.recover(p);
    if (const auto* plan = eng.plan_of(p)) {
        bool ended = is_ended(p.last_status);
        std::size_t from = recovered.next;
        // A suspended input step is logged as `suspend` and still pending after it.
        for (std::size_t i = ended ? plan->steps.size() : from; i < plan->steps.size(); ++i)
            if (!(p.last_status == process_status::suspended && i == from))
                steps.push_back({{"name", plan->steps[i].display}, {"status", "pending"}});
    }
    out["steps"] = std::move(steps);
    out["current_state"] = std::move(recovered.state);
    out["form"] = nullptr;
    try {
        if (auto page = eng.waiting_form(p)) out["form"] = page_schema(*page);
    } catch (const form_error&) {  // the form no longer fits the state: shown without it
    }
    json subs = json::array();
    for (const auto& id : st.process_subscriptions(p.process_id))
        if (auto s = st.subscription(id)) subs.push_back(subscription_row_json(*s));
    out["subscriptions"] = std::move(subs);
    return out;
}

}  // namespace wfrun::service
