// The builtin steps. They are written against the public step API, like any user's step; the
// engine gives `done` and `abort` their meaning (completing and aborting the process).
#include "stdlib/builtin_steps.hpp"

namespace wfrun {

namespace {

const key_spec subscription_key{"subscription", value_type::subscription};

json unsync(step_context& ctx, bool checked) {
    const auto& id = ctx.get("subscription_id").get_ref<const std::string&>();
    json subscription = ctx.domain().load(id);
    json out = json::object();
    if (checked) {
        // The backup of the subscription as it was before this process changed it, kept once.
        json old = ctx.get("__old_subscriptions__");
        if (!old.is_object()) old = json::object();
        if (!old.contains(id)) old[id] = subscription;
        if (!subscription.at("insync").get<bool>())
            throw value_error("Subscription is already out of sync, cannot continue!");
        out["__old_subscriptions__"] = std::move(old);
    }
    subscription["insync"] = false;
    out["subscription"] = std::move(subscription);
    return out;
}

}  // namespace

void register_stdlib(registry& r) {
    auto nothing = [](step_context&) -> json { return nullptr; };
    r.add({.name = "init", .display_name = "Start", .description = "Starts the process"}, nothing);
    r.add({.name = "done", .display_name = "Done", .description = "Completes the process"},
          nothing);
    r.add({.name = "abort", .display_name = "Abort", .description = "Aborts the process"}, nothing);

    r.add({.name = "store_process_subscription",
           .display_name = "Create Process Subscription relation",
           .params = {{"target", value_type::target, false}},
           .reads = {{"process_id", value_type::string}, {"subscription_id", value_type::string}},
           .description = "Records that this process works on the subscription"},
          [](step_context& ctx) -> json {
              const auto& target = ctx.param("target");
              ctx.domain().link_process(ctx.process_id(),
                                        ctx.get("subscription_id").get_ref<const std::string&>(),
                                        target.is_string() ? target.get<std::string>() : "");
              return nullptr;
          });

    r.add({.name = "unsync",
           .display_name = "Lock subscription",
           .reads = {{"subscription_id", value_type::string},
                     {"__old_subscriptions__", value_type::object, true}},
           .writes = {subscription_key, {"__old_subscriptions__", value_type::object}},
           .description = "Takes the subscription's lock (insync false); fails when it is taken"},
          [](step_context& ctx) { return unsync(ctx, true); });

    r.add({.name = "unsync_unchecked",
           .display_name = "Lock subscription",
           .reads = {{"subscription_id", value_type::string}},
           .writes = {subscription_key},
           .description = "Sets insync false without checking it or keeping a backup"},
          [](step_context& ctx) { return unsync(ctx, false); });

    r.add({.name = "resync",
           .display_name = "Unlock subscription",
           .reads = {subscription_key},
           .writes = {subscription_key},
           .description = "Releases the subscription's lock (insync true)"},
          [](step_context& ctx) -> json {
              json subscription = ctx.get("subscription");
              subscription["insync"] = true;
              return {{"subscription", std::move(subscription)}};
          });

    r.add({.name = "set_status",
           .display_name = "Set subscription to '{lifecycle}'",
           .params = {{"lifecycle", value_type::lifecycle}},
           .reads = {subscription_key},
           .writes = {subscription_key},
           .description = "Moves the subscription to a lifecycle, checking its required fields "
                          "and the subscriptions that use it"},
          [](step_context& ctx) -> json {
              return {{"subscription", ctx.domain().change_lifecycle(
                                           ctx.get("subscription"),
                                           ctx.param("lifecycle").get_ref<const std::string&>())}};
          });

    r.add(
        {.name = "create_subscription",
         .display_name = "Create subscription",
         .reads = {{"product", value_type::string}, {"customer_id", value_type::string, true}},
         .writes = {subscription_key, {"subscription_id", value_type::string}},
         .description = "Creates an initial, out-of-sync subscription of the chosen product"},
        [](step_context& ctx) -> json {
            const auto& customer = ctx.get("customer_id");
            json subscription = ctx.domain().create(
                ctx.get("product").get_ref<const std::string&>(),
                customer.is_string() ? customer.get_ref<const std::string&>() : std::string());
            json id = subscription.at("subscription_id");
            return {{"subscription", std::move(subscription)}, {"subscription_id", std::move(id)}};
        });
}

}  // namespace wfrun
