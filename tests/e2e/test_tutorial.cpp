// End to end: the beginner tutorial's integration scenarios and the guards between User and
// UserGroup, through build/wfrun on a temporary database.
#include <catch2/catch.hpp>

#include "harness.hpp"

using e2e::sandbox;
using nlohmann::json;

namespace {

std::string subscription_of(const sandbox& s, const e2e::result& started) {
    REQUIRE(started.code == 0);
    auto pid = started.json()["id"].get<std::string>();
    return s.run({"show", pid, "--json"}).json()["subscriptions"][0]["subscription_id"];
}

std::string create_user(const sandbox& s, const std::string& product, const std::string& name,
                        int age, const std::string& group) {
    json pages = {{{"product", s.product_id(product)}},
                  {{"username", name}, {"age", age}, {"user_group_ids", {group}}}};
    return subscription_of(s, s.run({"start", "create_user", "--json", "--input", pages.dump()}));
}

e2e::result start(const sandbox& s, const std::string& workflow, const json& pages,
                  const std::vector<std::string>& env = {}) {
    return s.run({"start", workflow, "--json", "--input", pages.dump()}, "", env);
}

json terminate_pages(const std::string& id) {
    return {{{"subscription_id", id}}, json::object()};
}

json model(const sandbox& s, const std::string& id) {
    return s.run({"subscription", id, "--json"}).json();
}

}  // namespace

TEST_CASE("create Group One and rename it to Group One Modified") {
    sandbox s;
    auto group = s.create_group("Group One");
    auto form =
        s.run({"form", "modify_user_group", "--input", json{{{"subscription_id", group}}}.dump()});
    REQUIRE(form.code == 3);
    auto props = form.json()["form"]["properties"];
    CHECK(props["group_name"]["default"] == "Group One");
    CHECK(props["group_id"]["uniforms"]["disabled"] == true);
    auto group_id = model(s, group)["user_group"]["group_id"];
    CHECK(props["group_id"]["default"] == group_id);

    auto changed_id = start(s, "modify_user_group",
                            {{{"subscription_id", group}},
                             {{"group_name", "x"}, {"group_id", group_id.get<int>() + 1}}});
    CHECK(changed_id.code == 2);
    CHECK(changed_id.err.find("group_id:") != std::string::npos);

    auto r = start(s, "modify_user_group",
                   {{{"subscription_id", group}}, {{"group_name", "Group One Modified"}}});
    REQUIRE(r.code == 0);
    auto m = model(s, group);
    CHECK(m["description"] == "User Group Group One Modified");
    CHECK(m["user_group"]["group_name"] == "Group One Modified");
    CHECK(m["user_group"]["group_id"] == group_id);
    CHECK(m["status"] == "active");
    CHECK(m["insync"] == true);
    CHECK(s.query("SELECT group_name FROM provisioned_groups WHERE subscription_id = '" + group +
                  "'")[0]["group_name"] == "Group One Modified");
    auto pid = r.json()["id"].get<std::string>();
    auto names = s.query("SELECT name FROM process_steps WHERE pid = '" + pid + "' ORDER BY seq");
    CHECK(names.size() == 6);
    CHECK(names[3]["name"] == "Modify user group");
}

TEST_CASE("users in Group Two: descriptions, the group reference, terminate order") {
    sandbox s;
    auto group = s.create_group("Group Two");
    auto external = create_user(s, "User external", "my_external_user", 30, group);
    auto internal = create_user(s, "User internal", "my_internal_user", 40, group);

    auto ext = model(s, external);
    CHECK(ext["description"] == "User my_external_user from group Group Two (external)");
    CHECK(ext["affiliation"] == "external");
    CHECK(ext["status"] == "active");
    CHECK(ext["user"]["username"] == "my_external_user");
    CHECK(ext["user"]["age"] == 30);
    CHECK(ext["user"]["user_id"].get<std::int64_t>() >= 0);
    CHECK(ext["user"]["group"]["group_name"] == "Group Two");
    CHECK(ext["user"]["group"]["owner_subscription_id"] == group);
    CHECK(ext["depends_on"][0]["subscription_id"] == group);
    CHECK(model(s, internal)["description"] ==
          "User my_internal_user from group Group Two (internal)");
    CHECK(model(s, group)["in_use_by"].size() == 2);
    CHECK(s.query("SELECT * FROM provisioned_users").size() == 2);

    // Renaming the group is seen through the reference; the user's description keeps the old name.
    REQUIRE(start(s, "modify_user_group",
                  {{{"subscription_id", group}}, {{"group_name", "Group Two Renamed"}}})
                .code == 0);
    ext = model(s, external);
    CHECK(ext["user"]["group"]["group_name"] == "Group Two Renamed");
    CHECK(ext["description"] == "User my_external_user from group Group Two (external)");

    // The group can not go while users use it; the listing says why and who.
    auto refused = start(s, "terminate_user_group", terminate_pages(group));
    CHECK(refused.code == 2);
    CHECK(refused.err.find("This workflow cannot be started: This subscription can not be modified "
                           "as it is used in other subscriptions") != std::string::npos);
    auto wfs = s.run({"workflows", group, "--json"}).json();
    for (const auto& w : wfs)
        if (w["name"] == "terminate_user_group") {
            CHECK(w["allowed"] == false);
            CHECK(w["blocked_by"].size() == 2);
        } else if (w["name"] == "modify_user_group") {
            CHECK(w["allowed"] == true);
        }

    auto label =
        s.run({"form", "terminate_user", "--input", json{{{"subscription_id", external}}}.dump()});
    CHECK(label.json()["form"]["properties"]["are_you_sure"]["default"] ==
          "Are you sure you want to remove User my_external_user from group Group Two (external)?");
    REQUIRE(start(s, "terminate_user", terminate_pages(external)).code == 0);
    CHECK(start(s, "terminate_user_group", terminate_pages(group)).code == 2);
    REQUIRE(start(s, "terminate_user", terminate_pages(internal)).code == 0);
    CHECK(s.query("SELECT * FROM provisioned_users").empty());
    REQUIRE(start(s, "terminate_user_group", terminate_pages(group)).code == 0);
    CHECK(model(s, group)["status"] == "terminated");
    CHECK(model(s, external)["status"] == "terminated");
}

TEST_CASE("modify_user: defaults from the subscription and a move to another group") {
    sandbox s;
    auto one = s.create_group("Group One");
    auto two = s.create_group("Group Two");
    auto user = create_user(s, "User internal", "alice", 34, one);
    auto form = s.run({"form", "modify_user", "--input", json{{{"subscription_id", user}}}.dump()});
    REQUIRE(form.code == 3);
    auto props = form.json()["form"]["properties"];
    CHECK(props["username"]["default"] == "alice");
    CHECK(props["age"]["default"] == 34);
    CHECK(props["user_group_ids"]["default"] == json::array({one}));

    auto r =
        start(s, "modify_user",
              {{{"subscription_id", user}}, {{"username", "alice2"}, {"user_group_ids", {two}}}});
    REQUIRE(r.code == 0);
    auto m = model(s, user);
    CHECK(m["description"] == "User alice2 from group Group Two (internal)");
    CHECK(m["user"]["age"] == 34);
    CHECK(m["user"]["group"]["owner_subscription_id"] == two);
    CHECK(model(s, one)["in_use_by"].empty());
    CHECK(model(s, two)["in_use_by"].size() == 1);
    auto pid = r.json()["id"].get<std::string>();
    CHECK(s.query("SELECT name FROM process_steps WHERE pid = '" + pid +
                  "' ORDER BY seq")[3]["name"] == "Modify subscription");
    // The first group's block was never written by the user's workflows.
    CHECK(model(s, one)["user_group"]["group_name"] == "Group One");
}

TEST_CASE("create_user offers exactly one active group") {
    sandbox s;
    auto active = s.create_group("Active Group");
    auto gone = s.create_group("Gone Group");
    REQUIRE(start(s, "terminate_user_group", terminate_pages(gone)).code == 0);
    auto product = s.product_id("User internal");
    auto form = s.run({"form", "create_user", "--input", json{{{"product", product}}}.dump()});
    REQUIRE(form.code == 3);
    auto schema = form.json()["form"];
    CHECK(schema["title"] == "User internal");
    CHECK(schema["properties"]["user_group_ids"]["items"]["enum"] == json::array({active}));
    CHECK(schema["properties"]["user_group_ids"]["minItems"] == 1);
    CHECK(schema["properties"]["user_group_ids"]["maxItems"] == 1);

    auto terminated =
        start(s, "create_user",
              {{{"product", product}}, {{"username", "bob"}, {"user_group_ids", {gone}}}});
    CHECK(terminated.code == 2);
    CHECK(terminated.err.find("user_group_ids") != std::string::npos);
    auto two =
        start(s, "create_user",
              {{{"product", product}}, {{"username", "bob"}, {"user_group_ids", {active, gone}}}});
    CHECK(two.code == 2);
    auto none =
        start(s, "create_user",
              {{{"product", product}}, {{"username", "bob"}, {"user_group_ids", json::array()}}});
    CHECK(none.code == 2);
    auto no_age =
        start(s, "create_user",
              {{{"product", product}}, {{"username", "bob"}, {"user_group_ids", {active}}}});
    REQUIRE(no_age.code == 0);
    CHECK(s.query("SELECT count(*) AS n FROM subscriptions WHERE status = 'active'")[0]["n"] == 2);
}

TEST_CASE("guards: out of sync, related out of sync, lifecycle") {
    sandbox s;
    auto group = s.create_group("Group One");
    auto user = create_user(s, "User external", "carol", 29, group);

    // A failed modify leaves the user locked: the user and its group are both refused.
    auto failed = start(s, "modify_user", {{{"subscription_id", user}}, {{"username", "x"}}},
                        {"WFRUN_FAULT=modify_user_subscription=fail"});
    CHECK(failed.code == 1);
    auto own = start(s, "terminate_user", terminate_pages(user));
    CHECK(own.code == 2);
    CHECK(own.err.find("This workflow cannot be started: Subscription already has a running "
                       "process or task") != std::string::npos);
    auto related =
        start(s, "modify_user_group", {{{"subscription_id", group}}, {{"group_name", "y"}}});
    CHECK(related.code == 2);
    CHECK(related.err.find("This workflow cannot be started: This subscription can not be modified "
                           "because some related subscriptions are not insync") !=
          std::string::npos);
    auto wfs = s.run({"workflows", group, "--json"}).json();
    for (const auto& w : wfs)
        CHECK(w["reason"] ==
              "This subscription can not be modified because some related subscriptions are not "
              "insync");

    REQUIRE(s.run({"abort", failed.json()["id"]}).code == 0);
    REQUIRE(s.run({"set-in-sync", user}).code == 0);
    REQUIRE(start(s, "terminate_user", terminate_pages(user)).code == 0);

    // MODIFY needs active.
    auto modify_terminated =
        start(s, "modify_user", {{{"subscription_id", user}}, {{"username", "x"}}});
    CHECK(modify_terminated.code == 2);
    CHECK(modify_terminated.err.find("This workflow cannot be started: This subscription can not "
                                     "be modified because of the status it has") !=
          std::string::npos);

    // A workflow of another product type is not valid for the subscription.
    auto wrong = start(s, "terminate_user", terminate_pages(group));
    CHECK(wrong.code == 2);
    CHECK(
        wrong.err.find(
            "This workflow cannot be started: This workflow is not valid for this subscription") !=
        std::string::npos);
}

TEST_CASE("TERMINATE is allowed on a provisioning subscription") {
    sandbox s;
    auto product = s.product_id("User Group");
    auto failed = start(s, "create_user_group", {{{"product", product}}, {{"group_name", "Half"}}},
                        {"WFRUN_FAULT=provision_user_group=fail"});
    REQUIRE(failed.code == 1);
    auto group = s.run({"subscriptions", "--json"}).json()[0];
    CHECK(group["status"] == "provisioning");
    CHECK(group["insync"] == false);
    auto id = group["subscription_id"].get<std::string>();
    REQUIRE(s.run({"abort", failed.json()["id"]}).code == 0);
    REQUIRE(s.run({"set-in-sync", id}).code == 0);
    CHECK(start(s, "modify_user_group", {{{"subscription_id", id}}, {{"group_name", "x"}}}).code ==
          2);
    // Nothing was provisioned, so deprovisioning fails and says so; the process is failed.
    auto terminate = start(s, "terminate_user_group", terminate_pages(id));
    CHECK(terminate.code == 1);
    CHECK(s.run({"show", terminate.json()["id"], "--json"}).json()["last_step"] ==
          "Deprovision user group");
}
