// Commands on subscriptions: subscriptions, subscription, workflows, set-in-sync.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "interpreter/domain/domain.hpp"

namespace wfrun::cli {

namespace {

json related_json(const std::vector<subscription_row>& rows) {
    json out = json::array();
    for (const auto& r : rows)
        out.push_back({{"subscription_id", r.subscription_id},
                       {"description", r.description},
                       {"status", r.status},
                       {"insync", r.insync}});
    return out;
}

// Prints a domain model as an indented tree of keys and values.
void print_tree(const json& j, int depth) {
    for (const auto& [k, v] : j.items()) {
        std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
        if (v.is_object()) {
            std::cout << indent << bold(k) << '\n';
            print_tree(v, depth + 1);
        } else if (v.is_array() && !v.empty() && v.front().is_object()) {
            std::cout << indent << bold(k) << '\n';
            for (const auto& item : v) {
                std::cout << indent << "  - " << item.value("description", item.dump()) << " ("
                          << item.value("subscription_id", "") << ")\n";
            }
        } else {
            std::cout << indent << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << '\n';
        }
    }
}

}  // namespace

int cmd_subscriptions(app& a, const std::optional<std::string>& type,
                      const std::optional<std::string>& status, bool as_json) {
    if (!a.open()) return exit_usage;
    auto rows = a.db_store->subscriptions({type, status});
    if (as_json) {
        json out = json::array();
        for (const auto& s : rows) out.push_back(subscription_row_json(s));
        std::cout << out.dump(2) << '\n';
        return exit_ok;
    }
    std::vector<std::vector<std::string>> table{{"SUBSCRIPTION", "DESCRIPTION", "STATUS", "INSYNC", "PRODUCT"}};
    for (const auto& s : rows)
        table.push_back({s.subscription_id, s.description, paint_status(s.status),
                         s.insync ? "yes" : "no", s.product.name});
    print_table(table);
    return exit_ok;
}

int cmd_subscription(app& a, const std::string& id, bool as_json) {
    if (!a.open()) return exit_usage;
    auto model = a.db_store->load_subscription(id);
    if (!model) {
        std::cerr << fmt::format("Subscription {} not found\n", id);
        return exit_usage;
    }
    (*model)["in_use_by"] = related_json(a.db_store->in_use_by(id));
    (*model)["depends_on"] = related_json(a.db_store->depends_on(id));
    if (as_json)
        std::cout << model->dump(2) << '\n';
    else
        print_tree(*model, 0);
    return exit_ok;
}

int cmd_workflows(app& a, const std::string& id, bool as_json) {
    if (!a.open()) return exit_usage;
    auto sub = a.db_store->subscription(id);
    if (!sub) {
        std::cerr << fmt::format("Subscription {} not found\n", id);
        return exit_usage;
    }
    json out = json::array();
    for (const auto& name : a.db_store->product_workflows(sub->product.product_id)) {
        const auto* plan = a.cat->plan(name);
        if (!plan || plan->def.target == workflow_target::create) continue;
        std::vector<subscription_row> blocking;
        auto reason = start_refusal(*a.db_store, plan->def, id, &blocking);
        json entry = {{"name", name}, {"target", plan->def.target},
                      {"description", plan->def.description}, {"allowed", !reason}};
        if (reason) {
            entry["reason"] = *reason;
            if (!blocking.empty()) entry["blocked_by"] = related_json(blocking);
        }
        out.push_back(std::move(entry));
    }
    if (as_json) {
        std::cout << out.dump(2) << '\n';
        return exit_ok;
    }
    std::vector<std::vector<std::string>> table{{"WORKFLOW", "TARGET", "MAY START", "WHY NOT"}};
    for (const auto& w : out) {
        std::string why = w.value("reason", "");
        if (w.contains("blocked_by"))
            for (const auto& b : w["blocked_by"]) why += fmt::format("; {}", b["description"].get<std::string>());
        table.push_back({w["name"], w["target"], w["allowed"].get<bool>() ? "yes" : "no", why});
    }
    print_table(table);
    return exit_ok;
}

int cmd_set_in_sync(app& a, const std::string& id) {
    if (!a.open()) return exit_usage;
    if (!a.db_store->subscription(id)) {
        std::cerr << fmt::format("Subscription {} not found\n", id);
        return exit_usage;
    }
    a.db_store->begin();
    std::vector<std::string> live;
    for (const auto& p : live_holders(*a.db_store, id))
        live.push_back(
            fmt::format("{} ({}, {})", p.process_id, p.workflow_name, to_string(p.last_status)));
    if (!live.empty()) {
        a.db_store->rollback();
        std::cerr << "Subscription " << id << " is still held by a live process:\n";
        for (const auto& l : live) std::cerr << "  " << l << '\n';
        return exit_usage;
    }
    a.db_store->set_insync(id, true);
    a.db_store->commit();
    std::cout << fmt::format("Subscription {} is in sync\n", id);
    return exit_ok;
}

}  // namespace wfrun::cli
