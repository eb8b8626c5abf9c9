// The UserGroup steps of the tutorial (create_user_group, modify_user_group,
// terminate_user_group), and the imaginary group provisioning system they talk to: it keeps the
// groups it provisioned in its own table, `provisioned_groups`, in the same database, so a
// step's provisioning commits together with the step.
#include <fmt/format.h>

#include "tutorial_steps.hpp"

namespace tutorial {

using wfrun::json;
using wfrun::step_context;
using wfrun::value_type;

namespace {

const wfrun::key_spec subscription_key{"subscription", value_type::subscription};

std::int64_t provision_group(wfrun::sql_session& db, const std::string& subscription_id,
                             const std::string& group_name) {
    auto group_id = next_id(db, "provisioned_groups", "group_id");
    db.exec(
        "INSERT INTO provisioned_groups (subscription_id, group_id, group_name) VALUES (?, ?, ?)",
        {subscription_id, group_id, group_name});
    return group_id;
}

void modify_group(wfrun::sql_session& db, std::int64_t group_id, const std::string& group_name) {
    db.exec("UPDATE provisioned_groups SET group_name = ? WHERE group_id = ?",
            {group_name, group_id});
}

void deprovision_group(wfrun::sql_session& db, const std::string& subscription_id,
                       std::int64_t group_id) {
    auto rows = db.query(
        "SELECT group_id FROM provisioned_groups WHERE subscription_id = ? AND group_id = ?",
        {subscription_id, group_id});
    if (rows.empty())
        throw wfrun::value_error(fmt::format("Group {} is not provisioned", group_id));
    db.exec("DELETE FROM provisioned_groups WHERE subscription_id = ? AND group_id = ?",
            {subscription_id, group_id});
}

}  // namespace

void register_user_group_steps(wfrun::registry& r) {
    r.add_schema(
        "CREATE TABLE IF NOT EXISTS provisioned_groups ("
        " subscription_id TEXT PRIMARY KEY,"
        " group_id INTEGER NOT NULL,"
        " group_name TEXT NOT NULL,"
        " provisioned_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)");
    r.add_schema(
        "CREATE UNIQUE INDEX IF NOT EXISTS provisioned_groups_group_id"
        " ON provisioned_groups (group_id)");

    r.add(
        {.name = "initialize_subscription",
         .display_name = "Initialize subscription",
         .product_type = "UserGroup",
         .reads = {subscription_key, {"group_name", value_type::string}},
         .writes = {subscription_key},
         .description = "Sets the group name and description, and moves to provisioning"},
        [](step_context& ctx) -> json {
            json subscription = ctx.get("subscription");
            const auto& name = ctx.get("group_name").get_ref<const std::string&>();
            subscription["user_group"]["group_name"] = name;
            subscription["description"] = fmt::format("User Group {}", name);
            return {{"subscription", ctx.domain().change_lifecycle(subscription, "provisioning")}};
        });

    r.add({.name = "provision_user_group",
           .display_name = "Provision user group",
           .product_type = "UserGroup",
           .reads = {subscription_key, {"group_name", value_type::string}},
           .writes = {subscription_key},
           .description = "Provisions the group in the group management system"},
          [](step_context& ctx) -> json {
              json subscription = ctx.get("subscription");
              subscription["user_group"]["group_id"] =
                  provision_group(ctx.db(), subscription.at("subscription_id").get<std::string>(),
                                  ctx.get("group_name").get<std::string>());
              return {{"subscription", std::move(subscription)}};
          });

    r.add({.name = "modify_user_group_subscription",
           .display_name = "Modify user group",
           .product_type = "UserGroup",
           .reads = {subscription_key, {"group_name", value_type::string}},
           .writes = {subscription_key},
           .description = "Renames the group in the group management system and the subscription"},
          [](step_context& ctx) -> json {
              json subscription = ctx.get("subscription");
              const auto& name = ctx.get("group_name").get_ref<const std::string&>();
              modify_group(ctx.db(), subscription["user_group"]["group_id"].get<std::int64_t>(),
                           name);
              subscription["user_group"]["group_name"] = name;
              subscription["description"] = fmt::format("User Group {}", name);
              return {{"subscription", std::move(subscription)}};
          });

    r.add({.name = "deprovision_user_group",
           .display_name = "Deprovision user group",
           .product_type = "UserGroup",
           .reads = {subscription_key},
           .description = "Removes the group from the group management system"},
          [](step_context& ctx) -> json {
              const auto& subscription = ctx.get("subscription");
              const auto& group_id = subscription.at("user_group").at("group_id");
              if (!group_id.is_number_integer())
                  throw wfrun::value_error(fmt::format(
                      "Subscription {} has no group_id: the group was never provisioned",
                      subscription.at("subscription_id").get<std::string>()));
              deprovision_group(ctx.db(), subscription.at("subscription_id").get<std::string>(),
                                group_id.get<std::int64_t>());
              return nullptr;
          });
}

}  // namespace tutorial
