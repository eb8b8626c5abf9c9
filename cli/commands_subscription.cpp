// Commands on subscriptions: subscriptions, subscription, workflows, set-in-sync.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace wfrun::cli {

namespace {

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
            std::cout << indent << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump())
                      << '\n';
        }
    }
}

}  // namespace

int cmd_subscriptions(app& a, const std::optional<std::string>& type,
                      const std::optional<std::string>& status, bool as_json) {
    if (!a.open(access::read)) return exit_usage;
    auto rows = service::subscriptions(*a.runtime, {type, status});
    if (as_json) {
        std::cout << rows.dump(2) << '\n';
        return exit_ok;
    }
    std::vector<std::vector<std::string>> table{
        {"SUBSCRIPTION", "DESCRIPTION", "STATUS", "INSYNC", "PRODUCT"}};
    for (const auto& s : rows)
        table.push_back({s["subscription_id"], s["description"],
                         paint_status(s["status"].get<std::string>()),
                         s["insync"].get<bool>() ? "yes" : "no", s["product"]["name"]});
    print_table(table);
    return exit_ok;
}

int cmd_subscription(app& a, const std::string& id, bool as_json) {
    if (!a.open(access::read)) return exit_usage;
    return reporting([&] {
        auto model = service::subscription_domain_model(*a.runtime, id);
        if (as_json)
            std::cout << model.dump(2) << '\n';
        else
            print_tree(model, 0);
        return exit_ok;
    });
}

int cmd_workflows(app& a, const std::string& id, bool as_json) {
    if (!a.open(access::read)) return exit_usage;
    return reporting([&] {
        auto out = service::subscription_workflows(*a.runtime, id);
        if (as_json) {
            std::cout << out.dump(2) << '\n';
            return exit_ok;
        }
        std::vector<std::vector<std::string>> table{{"WORKFLOW", "TARGET", "MAY START", "WHY NOT"}};
        for (const auto& w : out) {
            std::string why = w.value("reason", "");
            if (w.contains("blocked_by"))
                for (const auto& b : w["blocked_by"])
                    why += fmt::format("; {}", b["description"].get<std::string>());
            table.push_back({w["name"], w["target"], w["allowed"].get<bool>() ? "yes" : "no", why});
        }
        print_table(table);
        return exit_ok;
    });
}

int cmd_set_in_sync(app& a, const std::string& id) {
    if (!a.open()) return exit_usage;
    return reporting([&] {
        service::set_in_sync(*a.runtime, id);
        std::cout << fmt::format("Subscription {} is in sync\n", id);
        return exit_ok;
    });
}

}  // namespace wfrun::cli
