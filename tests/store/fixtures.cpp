// The conformance suite's shared helpers (fixtures.hpp).
#include "tests/store/fixtures.hpp"

namespace wfrun::conformance {

catalog_model tutorial_model() {
    catalog_model m;
    m.blocks = {
        {"UserGroupBlock",
         "user group block",
         "UGB",
         {{"group_name", false, "str", "provisioning", "name of the user group"},
          {"group_id", false, "int", "active", "id of the user group"}}},
        {"UserBlock",
         "user block",
         "UB",
         {{"group", true, "UserGroupBlock", "initial", "the user's group"},
          {"username", false, "str", "provisioning", "name of the user"},
          {"age", false, "int", "", "age of the user"},
          {"user_id", false, "int", "active", "id of the user"}}},
    };
    m.products = {
        {"User Group",
         "UserGroup",
         "GROUP",
         "user group administration",
         "active",
         {},
         "user_group",
         "UserGroupBlock"},
        {"User internal",
         "User",
         "USER_INT",
         "user administration - internal",
         "active",
         {{"affiliation", "internal"}},
         "user",
         "UserBlock"},
    };
    m.workflows = {
        {"create_user_group", workflow_target::create, "Create user group", "UserGroup", false},
        {"modify_user_group", workflow_target::modify, "Modify user group", "UserGroup", false},
        {"terminate_user_group", workflow_target::terminate, "Terminate user group", "UserGroup",
         false},
        {"create_user", workflow_target::create, "Create user", "User", false},
        {"modify_user", workflow_target::modify, "Modify user", "User", false},
        {"terminate_user", workflow_target::terminate, "Terminate user", "User", false},
        {"task_validate_products", workflow_target::system, "Validate products", "", true},
    };
    return m;
}

std::string product_id(store& s, const std::string& name) {
    for (const auto& p : s.products()) {
        if (p.name == name) return p.product_id;
    }
    FAIL("no product " << name);
    return {};
}

std::int64_t count(store& s, const std::string& from_where, const std::vector<json>& params) {
    return s.sql()
        .query("SELECT COUNT(*) AS n FROM " + from_where, params)
        .at(0)
        .at("n")
        .get<std::int64_t>();
}

json make_group(store& s, const std::string& name, std::int64_t id) {
    json g = s.create_subscription(product_id(s, "User Group"), new_uuid());
    g["description"] = "User Group " + name;
    g["status"] = "active";
    g["insync"] = true;
    g["start_date"] = now_iso();
    g["user_group"]["group_name"] = name;
    g["user_group"]["group_id"] = id;
    s.save_subscription(g);
    return *s.load_subscription(g["subscription_id"]);
}

json make_user(store& s, const json& group, const std::string& username) {
    json u = s.create_subscription(product_id(s, "User internal"), new_uuid());
    u["description"] = "User " + username;
    u["status"] = "active";
    u["insync"] = true;
    u["user"]["group"] = group["user_group"];
    u["user"]["username"] = username;
    u["user"]["age"] = 40;
    u["user"]["user_id"] = 4;
    s.save_subscription(u);
    return *s.load_subscription(u["subscription_id"]);
}

subscription_filter sub_filter(std::optional<std::string> type, std::optional<std::string> status) {
    subscription_filter f;
    f.product_type = std::move(type);
    f.status = std::move(status);
    return f;
}

process_filter proc_filter(std::optional<process_status> status,
                           std::optional<std::string> workflow, std::size_t limit) {
    process_filter f;
    f.status = std::move(status);
    f.workflow = std::move(workflow);
    f.limit = limit;
    return f;
}

std::vector<std::vector<std::string>> rows(const std::vector<product_row>& products) {
    std::vector<std::vector<std::string>> out;
    for (const auto& p : products) {
        out.push_back({p.product_id, p.name, p.description, p.product_type, p.tag, p.status});
    }
    return out;
}

std::vector<std::string> ids(const std::vector<subscription_row>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.subscription_id);
    return out;
}

process_row new_process(const std::string& workflow, process_status status) {
    process_row p;
    p.process_id = new_uuid();
    p.workflow_name = workflow;
    p.last_status = status;
    return p;
}

step_row new_step(const process_row& p, const std::string& name, json state) {
    step_row st;
    st.process_id = p.process_id;
    st.name = name;
    st.status = step_status::success;
    st.state = std::move(state);
    return st;
}

}  // namespace wfrun::conformance
