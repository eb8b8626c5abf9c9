// provision_mailbox: creates the mailbox in an imaginary mail system (the table `mailboxes`, in
// the same database, so the mailbox commits together with the step) and records its id and
// address in the subscription.
#include "mailbox_steps.hpp"

#include <cstdint>
#include <string>

namespace mailbox {

void register_steps(wfrun::registry& r) {
    r.add_schema(
        "CREATE TABLE IF NOT EXISTS mailboxes ("
        " mailbox_id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " subscription_id TEXT NOT NULL UNIQUE,"
        " address TEXT NOT NULL)");

    r.add(
        {.name = "provision_mailbox",
         .display_name = "Provision mailbox",
         .product_type = "Mailbox",
         .reads = {{"subscription", wfrun::value_type::subscription},
                   {"address", wfrun::value_type::string}},
         .writes = {{"subscription", wfrun::value_type::subscription}},
         .description = "Creates the mailbox in the mail system"},
        [](wfrun::step_context& ctx) -> wfrun::json {
            wfrun::json subscription = ctx.get("subscription");
            const auto& address = ctx.get("address").get_ref<const std::string&>();
            if (address.find('@') == std::string::npos)
                throw wfrun::value_error("Not an e-mail address: " + address);
            ctx.db().exec("INSERT INTO mailboxes (subscription_id, address) VALUES (?, ?)",
                          {subscription.at("subscription_id"), address});
            auto rows = ctx.db().query("SELECT mailbox_id FROM mailboxes WHERE subscription_id = ?",
                                       {subscription.at("subscription_id")});
            subscription["mailbox"]["address"] = address;
            subscription["mailbox"]["mailbox_id"] = rows.at(0).at("mailbox_id").get<std::int64_t>();
            subscription["description"] = "Mailbox " + address;
            return {{"subscription", std::move(subscription)}};
        });
}

}  // namespace mailbox
