// The User steps of the tutorial (create_user, modify_user, terminate_user), and the imaginary
// user provisioning system they talk to: it keeps the users it provisioned in its own table,
// `provisioned_users`, in the same database, so provisioning commits together with the step.
#include <fmt/format.h>

#include "tutorial_steps.hpp"

namespace tutorial {

using wfrun::json;
using wfrun::step_context;
using wfrun::value_type;

namespace {

const wfrun::key_spec subscription_key{"subscription", value_type::subscription};
const wfrun::key_spec username_key{"username", value_type::string};
const wfrun::key_spec age_key{"age", value_type::integer, true};
const wfrun::key_spec group_ids_key{"user_group_ids", value_type::list};

// The chosen group's block: the user refers to it, the group's subscription keeps owning it.
json group_block(step_context& ctx) {
    const auto& ids = ctx.get("user_group_ids");
    if (!ids.is_array() || ids.size() != 1 || !ids[0].is_string())
        throw wfrun::value_error("user_group_ids must hold exactly one user group subscription id");
    json group = ctx.domain().load(ids[0].get<std::string>());
    if (group.at("product").at("product_type") != "UserGroup")
        throw wfrun::value_error(
            fmt::format("Subscription {} is not a UserGroup", ids[0].get<std::string>()));
    return group.at("user_group");
}

// Username, age and group onto the subscription, and the description the tutorial gives it.
json with_user_details(step_context& ctx, json subscription) {
    auto& user = subscription["user"];
    user["username"] = ctx.get("username");
    user["age"] = ctx.get("age");
    user["group"] = group_block(ctx);
    subscription["description"] =
        fmt::format("User {} from group {} ({})", user["username"].get<std::string>(),
                    user["group"]["group_name"].get<std::string>(),
                    subscription.value("affiliation", std::string()));
    return subscription;
}

}  // namespace

void register_user_steps(wfrun::registry& r) {
    r.add_schema(
        "CREATE TABLE IF NOT EXISTS provisioned_users ("
        " subscription_id TEXT PRIMARY KEY,"
        " user_id INTEGER NOT NULL,"
        " username TEXT NOT NULL,"
        " age INTEGER,"
        " provisioned_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)");
    r.add_schema(
        "CREATE UNIQUE INDEX IF NOT EXISTS provisioned_users_user_id"
        " ON provisioned_users (user_id)");

    r.add(
        {.name = "initialize_subscription",
         .display_name = "Initialize subscription",
         .product_type = "User",
         .reads = {subscription_key, username_key, age_key, group_ids_key},
         .writes = {subscription_key},
         .description = "Sets the username, age and group, and moves to provisioning"},
        [](step_context& ctx) -> json {
            auto subscription = with_user_details(ctx, ctx.get("subscription"));
            return {{"subscription", ctx.domain().change_lifecycle(subscription, "provisioning")}};
        });

    r.add({.name = "provision_user",
           .display_name = "Provision user",
           .product_type = "User",
           .reads = {subscription_key, username_key, age_key},
           .writes = {subscription_key},
           .description = "Provisions the user in the user management system"},
          [](step_context& ctx) -> json {
              json subscription = ctx.get("subscription");
              const auto& username = ctx.get("username").get_ref<const std::string&>();
              auto user_id = next_id(ctx.db(), "provisioned_users", "user_id");
              ctx.db().exec(
                  "INSERT INTO provisioned_users (subscription_id, user_id, username, age) VALUES "
                  "(?, ?, ?, ?)",
                  {subscription.at("subscription_id"), user_id, username, ctx.get("age")});
              subscription["user"]["user_id"] = user_id;
              return {{"subscription", std::move(subscription)}};
          });

    r.add({.name = "modify_user_subscription",
           .display_name = "Modify subscription",
           .product_type = "User",
           .reads = {subscription_key, username_key, age_key, group_ids_key},
           .writes = {subscription_key},
           .description = "Changes the user in the user management system, and its group"},
          [](step_context& ctx) -> json {
              auto subscription = with_user_details(ctx, ctx.get("subscription"));
              ctx.db().exec(
                  "UPDATE provisioned_users SET username = ?, age = ? WHERE subscription_id = ?",
                  {subscription["user"]["username"], subscription["user"]["age"],
                   subscription["subscription_id"]});
              return {{"subscription", std::move(subscription)}};
          });

    r.add(
        {.name = "deprovision_user",
         .display_name = "Deprovision user",
         .product_type = "User",
         .reads = {subscription_key},
         .description = "Removes the user from the user management system"},
        [](step_context& ctx) -> json {
            const auto& subscription = ctx.get("subscription");
            const auto& id = subscription.at("subscription_id");
            const auto& user_id = subscription.at("user").at("user_id");
            if (ctx.db()
                    .query("SELECT user_id FROM provisioned_users WHERE subscription_id = ? AND "
                           "user_id = ?",
                           {id, user_id})
                    .empty())
                throw wfrun::value_error(fmt::format("User {} is not provisioned", user_id.dump()));
            ctx.db().exec("DELETE FROM provisioned_users WHERE subscription_id = ? AND user_id = ?",
                          {id, user_id});
            return nullptr;
        });
}

}  // namespace tutorial
